#!/bin/sh
# netlab plan for lab "pod-containers": run as root; `netlab down pod-containers` removes it all.
set -e

# Create namespaces (4)
ip netns add netlab.pod-containers.fabric
ip netns add netlab.pod-containers.node.node1
ip netns add netlab.pod-containers.pod.redis-nginx
ip netns add netlab.pod-containers.pod.client

# Create links (veth pairs, bridges, VXLAN) (4)
ip -n netlab.pod-containers.fabric link add underlay mtu 1500 address 02:00:00:00:00:01 type bridge
ip -n netlab.pod-containers.node.node1 link add eth0 mtu 1500 address 66:6f:6f:7e:c2:d6 type veth peer name node1 mtu 1500 address 76:ca:ff:fe:94:61 netns netlab.pod-containers.fabric
ip -n netlab.pod-containers.node.node1 link add flannel.1 mtu 1450 address 56:fa:cf:4f:1e:07 txqueuelen 0 type vxlan id 1 local 192.168.19.1 dev eth0 nolearning dstport 8472
ip -n netlab.pod-containers.node.node1 link add cni0 mtu 1450 address 5e:fd:1a:3d:64:ba type bridge

# Wire pods, assign addresses and bring links up (31)
ip -n netlab.pod-containers.fabric link set dev lo up
ip -n netlab.pod-containers.fabric link set dev underlay up
ip -n netlab.pod-containers.fabric link set dev node1 master underlay
ip -n netlab.pod-containers.fabric link set dev node1 up
ip -n netlab.pod-containers.node.node1 link set dev lo up
ip -n netlab.pod-containers.node.node1 addr add 192.168.19.1/24 dev eth0
ip -n netlab.pod-containers.node.node1 link set dev eth0 up
ip -n netlab.pod-containers.node.node1 addr add 10.244.0.0/32 dev flannel.1
ip -n netlab.pod-containers.node.node1 link set dev flannel.1 up
ip -n netlab.pod-containers.node.node1 addr add 10.244.0.1/24 broadcast 10.244.0.255 dev cni0
ip -n netlab.pod-containers.node.node1 link set dev cni0 up
ip -n netlab.pod-containers.node.node1 link add veth083b10ad mtu 1450 address 6e:3a:e8:74:07:b6 txqueuelen 0 type veth peer name eth0 mtu 1450 address 12:50:e0:50:5a:28 txqueuelen 0 netns netlab.pod-containers.pod.redis-nginx
ip -n netlab.pod-containers.node.node1 link set dev veth083b10ad master cni0
ip -n netlab.pod-containers.node.node1 link set dev veth083b10ad type bridge_slave hairpin on
ip -n netlab.pod-containers.node.node1 link set dev veth083b10ad addrgenmode none
ip -n netlab.pod-containers.node.node1 link set dev veth083b10ad up
ip -n netlab.pod-containers.pod.redis-nginx link set dev lo up
ip -n netlab.pod-containers.pod.redis-nginx addr add 10.244.0.10/24 broadcast 10.244.0.255 dev eth0
ip netns exec netlab.pod-containers.pod.redis-nginx sysctl -qw net.ipv4.conf.eth0.arp_notify=1
ip -n netlab.pod-containers.pod.redis-nginx link set dev eth0 addrgenmode none
ip -n netlab.pod-containers.pod.redis-nginx link set dev eth0 up
ip -n netlab.pod-containers.node.node1 link add veth493fa375 mtu 1450 address c6:58:6e:29:c5:45 txqueuelen 0 type veth peer name eth0 mtu 1450 address 22:ba:35:8c:6a:be txqueuelen 0 netns netlab.pod-containers.pod.client
ip -n netlab.pod-containers.node.node1 link set dev veth493fa375 master cni0
ip -n netlab.pod-containers.node.node1 link set dev veth493fa375 type bridge_slave hairpin on
ip -n netlab.pod-containers.node.node1 link set dev veth493fa375 addrgenmode none
ip -n netlab.pod-containers.node.node1 link set dev veth493fa375 up
ip -n netlab.pod-containers.pod.client link set dev lo up
ip -n netlab.pod-containers.pod.client addr add 10.244.0.2/24 broadcast 10.244.0.255 dev eth0
ip netns exec netlab.pod-containers.pod.client sysctl -qw net.ipv4.conf.eth0.arp_notify=1
ip -n netlab.pod-containers.pod.client link set dev eth0 addrgenmode none
ip -n netlab.pod-containers.pod.client link set dev eth0 up

# Install routes, neighbours and FDB entries (4)
ip -n netlab.pod-containers.pod.redis-nginx route add default via 10.244.0.1 dev eth0
ip -n netlab.pod-containers.pod.redis-nginx route add 10.244.0.0/16 via 10.244.0.1 dev eth0
ip -n netlab.pod-containers.pod.client route add default via 10.244.0.1 dev eth0
ip -n netlab.pod-containers.pod.client route add 10.244.0.0/16 via 10.244.0.1 dev eth0

# Set sysctls (5)
ip netns exec netlab.pod-containers.node.node1 sysctl -qw net.ipv4.ip_forward=1
ip netns exec netlab.pod-containers.node.node1 sysctl -qw net.ipv6.conf.flannel/1.accept_ra=0
ip netns exec netlab.pod-containers.node.node1 sysctl -qw net.ipv6.conf.cni0.accept_ra=0
ip netns exec netlab.pod-containers.node.node1 sysctl -qw net.ipv6.conf.veth083b10ad.accept_ra=0
ip netns exec netlab.pod-containers.node.node1 sysctl -qw net.ipv6.conf.veth493fa375.accept_ra=0

# Start containers (2)
mkdir -p /run/netlab/pod-containers
cat > /run/netlab/pod-containers/containers.json <<'NETLAB_EOF'
{
 "protocol": 1,
 "lab": "pod-containers",
 "pods": [
  {
   "name": "redis-nginx",
   "netns": "netlab.pod-containers.pod.redis-nginx",
   "containers": [
    {
     "name": "redis",
     "listen": [
      {
       "port": 6379,
       "protocol": "tcp"
      }
     ]
    },
    {
     "name": "nginx",
     "listen": [
      {
       "port": 80,
       "protocol": "tcp"
      }
     ]
    }
   ]
  }
 ]
}
NETLAB_EOF
ip netns exec netlab.pod-containers.fabric python3 /usr/lib/netlab/runtime/netlab-agent.py /run/netlab/pod-containers/containers.json </dev/null >/dev/null 2>>/run/netlab/pod-containers/containers.log &
