#!/bin/sh
# netlab plan for lab "host-gw": run as root; `netlab down host-gw` removes it all.
set -e

# Create namespaces (8)
ip netns add netlab.host-gw.fabric
ip netns add netlab.host-gw.node.node1
ip netns add netlab.host-gw.node.node2
ip netns add netlab.host-gw.node.node3
ip netns add netlab.host-gw.pod.web-0
ip netns add netlab.host-gw.pod.web-1
ip netns add netlab.host-gw.pod.web-2
ip netns add netlab.host-gw.pod.client

# Create links (veth pairs, bridges, VXLAN) (11)
ip -n netlab.host-gw.fabric link add underlay mtu 1500 address 02:00:00:00:00:01 type bridge
ip -n netlab.host-gw.node.node1 link add eth0 mtu 1500 address 9e:bc:08:4d:78:44 type veth peer name node1 mtu 1500 address fe:aa:76:56:5b:c7 netns netlab.host-gw.fabric
ip -n netlab.host-gw.node.node1 link add cni0 mtu 1500 address 72:bb:bb:28:d4:7b type bridge
ip -n netlab.host-gw.node.node2 link add eth0 mtu 1500 address c6:9a:26:9c:cb:9d type veth peer name node2 mtu 1500 address 26:ac:7a:50:64:4a netns netlab.host-gw.fabric
ip -n netlab.host-gw.node.node2 link add cni0 mtu 1500 address b2:bd:29:b3:53:a2 type bridge
ip -n netlab.host-gw.node.node3 link add eth0 mtu 1500 address ae:bd:65:b1:9d:c8 type veth peer name node3 mtu 1500 address 1a:d1:c9:58:c1:34 netns netlab.host-gw.fabric
ip -n netlab.host-gw.node.node3 link add cni0 mtu 1500 address ba:77:ee:be:9c:10 type bridge
ip -n netlab.host-gw.node.node1 link add vethc6bac7aa mtu 1500 address d2:45:16:9a:74:da type veth peer name eth0 mtu 1500 address 42:7f:a2:0a:ce:a6 netns netlab.host-gw.pod.web-0
ip -n netlab.host-gw.node.node2 link add veth6c2e952b mtu 1500 address 66:f5:a2:fc:53:8b type veth peer name eth0 mtu 1500 address 4a:65:12:c5:59:ed netns netlab.host-gw.pod.web-1
ip -n netlab.host-gw.node.node3 link add veth7dc03b9e mtu 1500 address b2:a1:66:9e:03:8c type veth peer name eth0 mtu 1500 address 9a:65:66:c4:b8:c8 netns netlab.host-gw.pod.web-2
ip -n netlab.host-gw.node.node1 link add veth617eeef7 mtu 1500 address ae:c7:bc:5e:d3:7c type veth peer name eth0 mtu 1500 address c2:73:71:f9:e7:6c netns netlab.host-gw.pod.client

# Assign addresses and bring links up (47)
ip -n netlab.host-gw.fabric link set dev lo up
ip -n netlab.host-gw.fabric link set dev underlay up
ip -n netlab.host-gw.fabric link set dev node1 master underlay
ip -n netlab.host-gw.fabric link set dev node1 up
ip -n netlab.host-gw.node.node1 link set dev lo up
ip -n netlab.host-gw.node.node1 addr add 192.168.19.1/24 dev eth0
ip -n netlab.host-gw.node.node1 link set dev eth0 up
ip -n netlab.host-gw.node.node1 addr add 10.244.0.1/24 dev cni0
ip -n netlab.host-gw.node.node1 link set dev cni0 up
ip -n netlab.host-gw.fabric link set dev node2 master underlay
ip -n netlab.host-gw.fabric link set dev node2 up
ip -n netlab.host-gw.node.node2 link set dev lo up
ip -n netlab.host-gw.node.node2 addr add 192.168.19.2/24 dev eth0
ip -n netlab.host-gw.node.node2 link set dev eth0 up
ip -n netlab.host-gw.node.node2 addr add 10.244.1.1/24 dev cni0
ip -n netlab.host-gw.node.node2 link set dev cni0 up
ip -n netlab.host-gw.fabric link set dev node3 master underlay
ip -n netlab.host-gw.fabric link set dev node3 up
ip -n netlab.host-gw.node.node3 link set dev lo up
ip -n netlab.host-gw.node.node3 addr add 192.168.19.3/24 dev eth0
ip -n netlab.host-gw.node.node3 link set dev eth0 up
ip -n netlab.host-gw.node.node3 addr add 10.244.2.1/24 dev cni0
ip -n netlab.host-gw.node.node3 link set dev cni0 up
ip -n netlab.host-gw.node.node1 link set dev vethc6bac7aa master cni0
ip -n netlab.host-gw.node.node1 link set dev vethc6bac7aa type bridge_slave hairpin on
ip -n netlab.host-gw.node.node1 link set dev vethc6bac7aa up
ip -n netlab.host-gw.pod.web-0 link set dev lo up
ip -n netlab.host-gw.pod.web-0 addr add 10.244.0.2/24 dev eth0
ip -n netlab.host-gw.pod.web-0 link set dev eth0 up
ip -n netlab.host-gw.node.node2 link set dev veth6c2e952b master cni0
ip -n netlab.host-gw.node.node2 link set dev veth6c2e952b type bridge_slave hairpin on
ip -n netlab.host-gw.node.node2 link set dev veth6c2e952b up
ip -n netlab.host-gw.pod.web-1 link set dev lo up
ip -n netlab.host-gw.pod.web-1 addr add 10.244.1.2/24 dev eth0
ip -n netlab.host-gw.pod.web-1 link set dev eth0 up
ip -n netlab.host-gw.node.node3 link set dev veth7dc03b9e master cni0
ip -n netlab.host-gw.node.node3 link set dev veth7dc03b9e type bridge_slave hairpin on
ip -n netlab.host-gw.node.node3 link set dev veth7dc03b9e up
ip -n netlab.host-gw.pod.web-2 link set dev lo up
ip -n netlab.host-gw.pod.web-2 addr add 10.244.2.2/24 dev eth0
ip -n netlab.host-gw.pod.web-2 link set dev eth0 up
ip -n netlab.host-gw.node.node1 link set dev veth617eeef7 master cni0
ip -n netlab.host-gw.node.node1 link set dev veth617eeef7 type bridge_slave hairpin on
ip -n netlab.host-gw.node.node1 link set dev veth617eeef7 up
ip -n netlab.host-gw.pod.client link set dev lo up
ip -n netlab.host-gw.pod.client addr add 10.244.0.3/24 dev eth0
ip -n netlab.host-gw.pod.client link set dev eth0 up

# Install routes, neighbours and FDB entries (10)
ip -n netlab.host-gw.node.node1 route add 10.244.1.0/24 via 192.168.19.2 dev eth0
ip -n netlab.host-gw.node.node1 route add 10.244.2.0/24 via 192.168.19.3 dev eth0
ip -n netlab.host-gw.node.node2 route add 10.244.0.0/24 via 192.168.19.1 dev eth0
ip -n netlab.host-gw.node.node2 route add 10.244.2.0/24 via 192.168.19.3 dev eth0
ip -n netlab.host-gw.node.node3 route add 10.244.0.0/24 via 192.168.19.1 dev eth0
ip -n netlab.host-gw.node.node3 route add 10.244.1.0/24 via 192.168.19.2 dev eth0
ip -n netlab.host-gw.pod.web-0 route add default via 10.244.0.1 dev eth0
ip -n netlab.host-gw.pod.web-1 route add default via 10.244.1.1 dev eth0
ip -n netlab.host-gw.pod.web-2 route add default via 10.244.2.1 dev eth0
ip -n netlab.host-gw.pod.client route add default via 10.244.0.1 dev eth0

# Set sysctls (7)
ip netns exec netlab.host-gw.node.node1 sysctl -qw net.ipv4.ip_forward=1
ip netns exec netlab.host-gw.node.node2 sysctl -qw net.ipv4.ip_forward=1
ip netns exec netlab.host-gw.node.node3 sysctl -qw net.ipv4.ip_forward=1
ip netns exec netlab.host-gw.pod.web-0 sysctl -qw net.ipv4.conf.eth0.arp_notify=1
ip netns exec netlab.host-gw.pod.web-1 sysctl -qw net.ipv4.conf.eth0.arp_notify=1
ip netns exec netlab.host-gw.pod.web-2 sysctl -qw net.ipv4.conf.eth0.arp_notify=1
ip netns exec netlab.host-gw.pod.client sysctl -qw net.ipv4.conf.eth0.arp_notify=1

# Start containers (2)
mkdir -p /run/netlab/host-gw
cat > /run/netlab/host-gw/containers.json <<'NETLAB_EOF'
{
 "lab": "host-gw",
 "pods": [
  {
   "name": "web-0",
   "netns": "netlab.host-gw.pod.web-0",
   "containers": [
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
  },
  {
   "name": "web-1",
   "netns": "netlab.host-gw.pod.web-1",
   "containers": [
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
  },
  {
   "name": "web-2",
   "netns": "netlab.host-gw.pod.web-2",
   "containers": [
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
ip netns exec netlab.host-gw.fabric python3 /usr/lib/netlab/runtime/netlab-agent.py /run/netlab/host-gw/containers.json >/dev/null &
