#!/bin/sh
# netlab plan for lab "same-node": run as root; `netlab down same-node` removes it all.
set -e

# Create namespaces (4)
ip netns add netlab.same-node.fabric
ip netns add netlab.same-node.node.node1
ip netns add netlab.same-node.pod.pod-a
ip netns add netlab.same-node.pod.pod-b

# Create links (veth pairs, bridges, VXLAN) (4)
ip -n netlab.same-node.fabric link add underlay mtu 1500 address 02:00:00:00:00:01 type bridge
ip -n netlab.same-node.node.node1 link add eth0 mtu 1500 address 66:6f:6f:7e:c2:d6 type veth peer name node1 mtu 1500 address 76:ca:ff:fe:94:61 netns netlab.same-node.fabric
ip -n netlab.same-node.node.node1 link add flannel.1 mtu 1450 address 56:fa:cf:4f:1e:07 txqueuelen 0 type vxlan id 1 local 192.168.19.1 dev eth0 nolearning dstport 8472
ip -n netlab.same-node.node.node1 link add cni0 mtu 1450 address 5e:fd:1a:3d:64:ba type bridge

# Wire pods, assign addresses and bring links up (31)
ip -n netlab.same-node.fabric link set dev lo up
ip -n netlab.same-node.fabric link set dev underlay up
ip -n netlab.same-node.fabric link set dev node1 master underlay
ip -n netlab.same-node.fabric link set dev node1 up
ip -n netlab.same-node.node.node1 link set dev lo up
ip -n netlab.same-node.node.node1 addr add 192.168.19.1/24 dev eth0
ip -n netlab.same-node.node.node1 link set dev eth0 up
ip -n netlab.same-node.node.node1 addr add 10.244.0.0/32 dev flannel.1
ip -n netlab.same-node.node.node1 link set dev flannel.1 up
ip -n netlab.same-node.node.node1 addr add 10.244.0.1/24 broadcast 10.244.0.255 dev cni0
ip -n netlab.same-node.node.node1 link set dev cni0 up
ip -n netlab.same-node.node.node1 link add veth18402240 mtu 1450 address d6:de:cb:da:2b:da txqueuelen 0 type veth peer name eth0 mtu 1450 address 3a:22:8b:d0:08:a5 txqueuelen 0 netns netlab.same-node.pod.pod-a
ip -n netlab.same-node.node.node1 link set dev veth18402240 master cni0
ip -n netlab.same-node.node.node1 link set dev veth18402240 type bridge_slave hairpin on
ip -n netlab.same-node.node.node1 link set dev veth18402240 addrgenmode none
ip -n netlab.same-node.node.node1 link set dev veth18402240 up
ip -n netlab.same-node.pod.pod-a link set dev lo up
ip -n netlab.same-node.pod.pod-a addr add 10.244.0.2/24 broadcast 10.244.0.255 dev eth0
ip netns exec netlab.same-node.pod.pod-a sysctl -qw net.ipv4.conf.eth0.arp_notify=1
ip -n netlab.same-node.pod.pod-a link set dev eth0 addrgenmode none
ip -n netlab.same-node.pod.pod-a link set dev eth0 up
ip -n netlab.same-node.node.node1 link add veth0b88c886 mtu 1450 address 02:ef:d4:b6:dc:45 txqueuelen 0 type veth peer name eth0 mtu 1450 address 1e:d9:67:18:92:e7 txqueuelen 0 netns netlab.same-node.pod.pod-b
ip -n netlab.same-node.node.node1 link set dev veth0b88c886 master cni0
ip -n netlab.same-node.node.node1 link set dev veth0b88c886 type bridge_slave hairpin on
ip -n netlab.same-node.node.node1 link set dev veth0b88c886 addrgenmode none
ip -n netlab.same-node.node.node1 link set dev veth0b88c886 up
ip -n netlab.same-node.pod.pod-b link set dev lo up
ip -n netlab.same-node.pod.pod-b addr add 10.244.0.3/24 broadcast 10.244.0.255 dev eth0
ip netns exec netlab.same-node.pod.pod-b sysctl -qw net.ipv4.conf.eth0.arp_notify=1
ip -n netlab.same-node.pod.pod-b link set dev eth0 addrgenmode none
ip -n netlab.same-node.pod.pod-b link set dev eth0 up

# Install routes, neighbours and FDB entries (4)
ip -n netlab.same-node.pod.pod-a route add default via 10.244.0.1 dev eth0
ip -n netlab.same-node.pod.pod-a route add 10.244.0.0/16 via 10.244.0.1 dev eth0
ip -n netlab.same-node.pod.pod-b route add default via 10.244.0.1 dev eth0
ip -n netlab.same-node.pod.pod-b route add 10.244.0.0/16 via 10.244.0.1 dev eth0

# Set sysctls (5)
ip netns exec netlab.same-node.node.node1 sysctl -qw net.ipv4.ip_forward=1
ip netns exec netlab.same-node.node.node1 sysctl -qw net.ipv6.conf.flannel/1.accept_ra=0
ip netns exec netlab.same-node.node.node1 sysctl -qw net.ipv6.conf.cni0.accept_ra=0
ip netns exec netlab.same-node.node.node1 sysctl -qw net.ipv6.conf.veth18402240.accept_ra=0
ip netns exec netlab.same-node.node.node1 sysctl -qw net.ipv6.conf.veth0b88c886.accept_ra=0

# Start containers (2)
mkdir -p /run/netlab/same-node
cat > /run/netlab/same-node/containers.json <<'NETLAB_EOF'
{
 "protocol": 1,
 "lab": "same-node",
 "pods": [
  {
   "name": "pod-a",
   "netns": "netlab.same-node.pod.pod-a",
   "containers": [
    {
     "name": "app",
     "listen": [
      {
       "port": 8080,
       "protocol": "tcp"
      },
      {
       "port": 8080,
       "protocol": "udp"
      }
     ]
    }
   ]
  },
  {
   "name": "pod-b",
   "netns": "netlab.same-node.pod.pod-b",
   "containers": [
    {
     "name": "app",
     "listen": [
      {
       "port": 8080,
       "protocol": "tcp"
      },
      {
       "port": 8080,
       "protocol": "udp"
      }
     ]
    }
   ]
  }
 ]
}
NETLAB_EOF
ip netns exec netlab.same-node.fabric python3 /usr/lib/netlab/runtime/netlab-agent.py /run/netlab/same-node/containers.json </dev/null >/dev/null 2>>/run/netlab/same-node/containers.log &
