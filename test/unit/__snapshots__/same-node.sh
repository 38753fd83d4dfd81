#!/bin/sh
# netlab plan for lab "same-node": run as root; `netlab down same-node` removes it all.
set -e

# Create namespaces (4)
ip netns add netlab.same-node.fabric
ip netns add netlab.same-node.node.node1
ip netns add netlab.same-node.pod.pod-a
ip netns add netlab.same-node.pod.pod-b

# Create links (veth pairs, bridges, VXLAN) (6)
ip -n netlab.same-node.fabric link add underlay mtu 1500 address 02:00:00:00:00:01 type bridge
ip -n netlab.same-node.node.node1 link add eth0 mtu 1500 address 6a:bc:d7:ac:ab:46 type veth peer name node1 mtu 1500 address be:5c:56:b1:27:eb netns netlab.same-node.fabric
ip -n netlab.same-node.node.node1 link add cni0 mtu 1450 address c6:26:cd:0a:58:ab type bridge
ip -n netlab.same-node.node.node1 link add flannel.1 mtu 1450 address d6:dc:9d:18:a4:4f type vxlan id 1 local 192.168.19.1 dev eth0 nolearning dstport 8472
ip -n netlab.same-node.node.node1 link add veth6feb5e10 mtu 1450 address 22:57:55:2e:23:ef type veth peer name eth0 mtu 1450 address fa:42:65:c6:ce:5d netns netlab.same-node.pod.pod-a
ip -n netlab.same-node.node.node1 link add vetha2f1cc69 mtu 1450 address da:b0:fb:a6:ad:bf type veth peer name eth0 mtu 1450 address ea:a7:ad:35:ab:80 netns netlab.same-node.pod.pod-b

# Assign addresses and bring links up (23)
ip -n netlab.same-node.fabric link set dev lo up
ip -n netlab.same-node.fabric link set dev underlay up
ip -n netlab.same-node.fabric link set dev node1 master underlay
ip -n netlab.same-node.fabric link set dev node1 up
ip -n netlab.same-node.node.node1 link set dev lo up
ip -n netlab.same-node.node.node1 addr add 192.168.19.1/24 dev eth0
ip -n netlab.same-node.node.node1 link set dev eth0 up
ip -n netlab.same-node.node.node1 addr add 10.244.0.1/24 dev cni0
ip -n netlab.same-node.node.node1 link set dev cni0 up
ip -n netlab.same-node.node.node1 addr add 10.244.0.0/32 dev flannel.1
ip -n netlab.same-node.node.node1 link set dev flannel.1 up
ip -n netlab.same-node.node.node1 link set dev veth6feb5e10 master cni0
ip -n netlab.same-node.node.node1 link set dev veth6feb5e10 type bridge_slave hairpin on
ip -n netlab.same-node.node.node1 link set dev veth6feb5e10 up
ip -n netlab.same-node.pod.pod-a link set dev lo up
ip -n netlab.same-node.pod.pod-a addr add 10.244.0.2/24 dev eth0
ip -n netlab.same-node.pod.pod-a link set dev eth0 up
ip -n netlab.same-node.node.node1 link set dev vetha2f1cc69 master cni0
ip -n netlab.same-node.node.node1 link set dev vetha2f1cc69 type bridge_slave hairpin on
ip -n netlab.same-node.node.node1 link set dev vetha2f1cc69 up
ip -n netlab.same-node.pod.pod-b link set dev lo up
ip -n netlab.same-node.pod.pod-b addr add 10.244.0.3/24 dev eth0
ip -n netlab.same-node.pod.pod-b link set dev eth0 up

# Install routes, neighbours and FDB entries (2)
ip -n netlab.same-node.pod.pod-a route add default via 10.244.0.1 dev eth0
ip -n netlab.same-node.pod.pod-b route add default via 10.244.0.1 dev eth0

# Set sysctls (4)
ip netns exec netlab.same-node.node.node1 sysctl -qw net.ipv4.ip_forward=1
ip netns exec netlab.same-node.node.node1 sysctl -qw net.ipv6.conf.flannel/1.accept_ra=0
ip netns exec netlab.same-node.pod.pod-a sysctl -qw net.ipv4.conf.eth0.arp_notify=1
ip netns exec netlab.same-node.pod.pod-b sysctl -qw net.ipv4.conf.eth0.arp_notify=1

# Start containers (2)
mkdir -p /run/netlab/same-node
cat > /run/netlab/same-node/containers.json <<'NETLAB_EOF'
{
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
ip netns exec netlab.same-node.fabric python3 /usr/lib/netlab/runtime/netlab-agent.py /run/netlab/same-node/containers.json >/dev/null &
