#!/bin/sh
# netlab plan for lab "pod-containers": run as root; `netlab down pod-containers` removes it all.
set -e

# Create namespaces (4)
ip netns add netlab.pod-containers.fabric
ip netns add netlab.pod-containers.node.node1
ip netns add netlab.pod-containers.pod.redis-nginx
ip netns add netlab.pod-containers.pod.client

# Create links (veth pairs, bridges, VXLAN) (6)
ip -n netlab.pod-containers.fabric link add underlay mtu 1500 address 02:00:00:00:00:01 type bridge
ip -n netlab.pod-containers.node.node1 link add eth0 mtu 1500 address 52:3f:e1:69:c6:e4 type veth peer name node1 mtu 1500 address 4a:a1:ce:55:ee:50 netns netlab.pod-containers.fabric
ip -n netlab.pod-containers.node.node1 link add cni0 mtu 1450 address 66:22:fe:a5:71:93 type bridge
ip -n netlab.pod-containers.node.node1 link add flannel.1 mtu 1450 address 32:29:e0:41:a2:e7 type vxlan id 1 local 192.168.19.1 dev eth0 nolearning dstport 8472
ip -n netlab.pod-containers.node.node1 link add veth871d3ac1 mtu 1450 address a6:90:c0:17:eb:d9 type veth peer name eth0 mtu 1450 address ba:38:de:df:d1:67 netns netlab.pod-containers.pod.redis-nginx
ip -n netlab.pod-containers.node.node1 link add vetha46cb3f1 mtu 1450 address 2a:03:a7:84:e8:8d type veth peer name eth0 mtu 1450 address 56:56:a5:f1:de:38 netns netlab.pod-containers.pod.client

# Assign addresses and bring links up (23)
ip -n netlab.pod-containers.fabric link set dev lo up
ip -n netlab.pod-containers.fabric link set dev underlay up
ip -n netlab.pod-containers.fabric link set dev node1 master underlay
ip -n netlab.pod-containers.fabric link set dev node1 up
ip -n netlab.pod-containers.node.node1 link set dev lo up
ip -n netlab.pod-containers.node.node1 addr add 192.168.19.1/24 dev eth0
ip -n netlab.pod-containers.node.node1 link set dev eth0 up
ip -n netlab.pod-containers.node.node1 addr add 10.244.0.1/24 dev cni0
ip -n netlab.pod-containers.node.node1 link set dev cni0 up
ip -n netlab.pod-containers.node.node1 addr add 10.244.0.0/32 dev flannel.1
ip -n netlab.pod-containers.node.node1 link set dev flannel.1 up
ip -n netlab.pod-containers.node.node1 link set dev veth871d3ac1 master cni0
ip -n netlab.pod-containers.node.node1 link set dev veth871d3ac1 type bridge_slave hairpin on
ip -n netlab.pod-containers.node.node1 link set dev veth871d3ac1 up
ip -n netlab.pod-containers.pod.redis-nginx link set dev lo up
ip -n netlab.pod-containers.pod.redis-nginx addr add 10.244.0.10/24 dev eth0
ip -n netlab.pod-containers.pod.redis-nginx link set dev eth0 up
ip -n netlab.pod-containers.node.node1 link set dev vetha46cb3f1 master cni0
ip -n netlab.pod-containers.node.node1 link set dev vetha46cb3f1 type bridge_slave hairpin on
ip -n netlab.pod-containers.node.node1 link set dev vetha46cb3f1 up
ip -n netlab.pod-containers.pod.client link set dev lo up
ip -n netlab.pod-containers.pod.client addr add 10.244.0.2/24 dev eth0
ip -n netlab.pod-containers.pod.client link set dev eth0 up

# Install routes, neighbours and FDB entries (2)
ip -n netlab.pod-containers.pod.redis-nginx route add default via 10.244.0.1 dev eth0
ip -n netlab.pod-containers.pod.client route add default via 10.244.0.1 dev eth0

# Set sysctls (4)
ip netns exec netlab.pod-containers.node.node1 sysctl -qw net.ipv4.ip_forward=1
ip netns exec netlab.pod-containers.node.node1 sysctl -qw net.ipv6.conf.flannel/1.accept_ra=0
ip netns exec netlab.pod-containers.pod.redis-nginx sysctl -qw net.ipv4.conf.eth0.arp_notify=1
ip netns exec netlab.pod-containers.pod.client sysctl -qw net.ipv4.conf.eth0.arp_notify=1

# Start containers (2)
mkdir -p /run/netlab/pod-containers
cat > /run/netlab/pod-containers/containers.json <<'NETLAB_EOF'
{
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
ip netns exec netlab.pod-containers.fabric python3 /usr/lib/netlab/runtime/netlab-agent.py /run/netlab/pod-containers/containers.json >/dev/null &
