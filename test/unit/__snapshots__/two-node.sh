#!/bin/sh
# netlab plan for lab "two-node": run as root; `netlab down two-node` removes it all.
set -e

# Create namespaces (7)
ip netns add netlab.two-node.fabric
ip netns add netlab.two-node.node.node1
ip netns add netlab.two-node.node.node2
ip netns add netlab.two-node.pod.pod1
ip netns add netlab.two-node.pod.pod2
ip netns add netlab.two-node.pod.pod3
ip netns add netlab.two-node.pod.pod4

# Create links (veth pairs, bridges, VXLAN) (11)
ip -n netlab.two-node.fabric link add underlay mtu 1500 address 02:00:00:00:00:01 type bridge
ip -n netlab.two-node.node.node1 link add eth0 mtu 1500 address d6:12:90:03:73:ad type veth peer name node1 mtu 1500 address 66:bd:56:10:a9:fd netns netlab.two-node.fabric
ip -n netlab.two-node.node.node1 link add cni0 mtu 1450 address aa:1a:3b:81:90:6c type bridge
ip -n netlab.two-node.node.node2 link add eth0 mtu 1500 address 3e:66:a1:65:8e:ef type veth peer name node2 mtu 1500 address f6:a7:f6:34:91:38 netns netlab.two-node.fabric
ip -n netlab.two-node.node.node2 link add cni0 mtu 1450 address e2:54:0f:8e:99:e4 type bridge
ip -n netlab.two-node.node.node1 link add flannel.1 mtu 1450 address 26:2c:92:76:58:29 type vxlan id 1 local 192.168.19.13 dev eth0 nolearning dstport 8472
ip -n netlab.two-node.node.node2 link add flannel.1 mtu 1450 address 16:f6:23:54:1e:b7 type vxlan id 1 local 192.168.19.14 dev eth0 nolearning dstport 8472
ip -n netlab.two-node.node.node1 link add veth2f7978b7 mtu 1450 address 82:9a:3f:0d:71:14 type veth peer name eth0 mtu 1450 address 6e:9b:1f:c4:bf:f3 netns netlab.two-node.pod.pod1
ip -n netlab.two-node.node.node1 link add vethc2f7b269 mtu 1450 address ae:65:e0:e9:44:85 type veth peer name eth0 mtu 1450 address 66:3f:32:dd:dc:c3 netns netlab.two-node.pod.pod2
ip -n netlab.two-node.node.node2 link add veth766f9a6a mtu 1450 address 9a:33:b3:2e:33:79 type veth peer name eth0 mtu 1450 address 5e:44:21:e6:b0:a3 netns netlab.two-node.pod.pod3
ip -n netlab.two-node.node.node2 link add vethcdc9c032 mtu 1450 address 82:3c:ac:07:c4:c2 type veth peer name eth0 mtu 1450 address 1a:59:4c:a3:2e:d3 netns netlab.two-node.pod.pod4

# Assign addresses and bring links up (44)
ip -n netlab.two-node.fabric link set dev lo up
ip -n netlab.two-node.fabric link set dev underlay up
ip -n netlab.two-node.fabric link set dev node1 master underlay
ip -n netlab.two-node.fabric link set dev node1 up
ip -n netlab.two-node.node.node1 link set dev lo up
ip -n netlab.two-node.node.node1 addr add 192.168.19.13/24 dev eth0
ip -n netlab.two-node.node.node1 link set dev eth0 up
ip -n netlab.two-node.node.node1 addr add 10.244.0.1/24 dev cni0
ip -n netlab.two-node.node.node1 link set dev cni0 up
ip -n netlab.two-node.fabric link set dev node2 master underlay
ip -n netlab.two-node.fabric link set dev node2 up
ip -n netlab.two-node.node.node2 link set dev lo up
ip -n netlab.two-node.node.node2 addr add 192.168.19.14/24 dev eth0
ip -n netlab.two-node.node.node2 link set dev eth0 up
ip -n netlab.two-node.node.node2 addr add 10.244.1.1/24 dev cni0
ip -n netlab.two-node.node.node2 link set dev cni0 up
ip -n netlab.two-node.node.node1 addr add 10.244.0.0/32 dev flannel.1
ip -n netlab.two-node.node.node1 link set dev flannel.1 up
ip -n netlab.two-node.node.node2 addr add 10.244.1.0/32 dev flannel.1
ip -n netlab.two-node.node.node2 link set dev flannel.1 up
ip -n netlab.two-node.node.node1 link set dev veth2f7978b7 master cni0
ip -n netlab.two-node.node.node1 link set dev veth2f7978b7 type bridge_slave hairpin on
ip -n netlab.two-node.node.node1 link set dev veth2f7978b7 up
ip -n netlab.two-node.pod.pod1 link set dev lo up
ip -n netlab.two-node.pod.pod1 addr add 10.244.0.2/24 dev eth0
ip -n netlab.two-node.pod.pod1 link set dev eth0 up
ip -n netlab.two-node.node.node1 link set dev vethc2f7b269 master cni0
ip -n netlab.two-node.node.node1 link set dev vethc2f7b269 type bridge_slave hairpin on
ip -n netlab.two-node.node.node1 link set dev vethc2f7b269 up
ip -n netlab.two-node.pod.pod2 link set dev lo up
ip -n netlab.two-node.pod.pod2 addr add 10.244.0.3/24 dev eth0
ip -n netlab.two-node.pod.pod2 link set dev eth0 up
ip -n netlab.two-node.node.node2 link set dev veth766f9a6a master cni0
ip -n netlab.two-node.node.node2 link set dev veth766f9a6a type bridge_slave hairpin on
ip -n netlab.two-node.node.node2 link set dev veth766f9a6a up
ip -n netlab.two-node.pod.pod3 link set dev lo up
ip -n netlab.two-node.pod.pod3 addr add 10.244.1.2/24 dev eth0
ip -n netlab.two-node.pod.pod3 link set dev eth0 up
ip -n netlab.two-node.node.node2 link set dev vethcdc9c032 master cni0
ip -n netlab.two-node.node.node2 link set dev vethcdc9c032 type bridge_slave hairpin on
ip -n netlab.two-node.node.node2 link set dev vethcdc9c032 up
ip -n netlab.two-node.pod.pod4 link set dev lo up
ip -n netlab.two-node.pod.pod4 addr add 10.244.1.3/24 dev eth0
ip -n netlab.two-node.pod.pod4 link set dev eth0 up

# Install routes, neighbours and FDB entries (10)
ip -n netlab.two-node.node.node1 neigh replace 10.244.1.0 lladdr 16:f6:23:54:1e:b7 dev flannel.1 nud permanent
bridge -n netlab.two-node.node.node1 fdb replace 16:f6:23:54:1e:b7 dev flannel.1 dst 192.168.19.14 self permanent
ip -n netlab.two-node.node.node1 route replace 10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink
ip -n netlab.two-node.node.node2 neigh replace 10.244.0.0 lladdr 26:2c:92:76:58:29 dev flannel.1 nud permanent
bridge -n netlab.two-node.node.node2 fdb replace 26:2c:92:76:58:29 dev flannel.1 dst 192.168.19.13 self permanent
ip -n netlab.two-node.node.node2 route replace 10.244.0.0/24 via 10.244.0.0 dev flannel.1 onlink
ip -n netlab.two-node.pod.pod1 route add default via 10.244.0.1 dev eth0
ip -n netlab.two-node.pod.pod2 route add default via 10.244.0.1 dev eth0
ip -n netlab.two-node.pod.pod3 route add default via 10.244.1.1 dev eth0
ip -n netlab.two-node.pod.pod4 route add default via 10.244.1.1 dev eth0

# Set sysctls (8)
ip netns exec netlab.two-node.node.node1 sysctl -qw net.ipv4.ip_forward=1
ip netns exec netlab.two-node.node.node2 sysctl -qw net.ipv4.ip_forward=1
ip netns exec netlab.two-node.node.node1 sysctl -qw net.ipv6.conf.flannel/1.accept_ra=0
ip netns exec netlab.two-node.node.node2 sysctl -qw net.ipv6.conf.flannel/1.accept_ra=0
ip netns exec netlab.two-node.pod.pod1 sysctl -qw net.ipv4.conf.eth0.arp_notify=1
ip netns exec netlab.two-node.pod.pod2 sysctl -qw net.ipv4.conf.eth0.arp_notify=1
ip netns exec netlab.two-node.pod.pod3 sysctl -qw net.ipv4.conf.eth0.arp_notify=1
ip netns exec netlab.two-node.pod.pod4 sysctl -qw net.ipv4.conf.eth0.arp_notify=1

# Start containers (2)
mkdir -p /run/netlab/two-node
cat > /run/netlab/two-node/containers.json <<'NETLAB_EOF'
{
 "lab": "two-node",
 "pods": [
  {
   "name": "pod1",
   "netns": "netlab.two-node.pod.pod1",
   "containers": [
    {
     "name": "web",
     "listen": [
      {
       "port": 80,
       "protocol": "tcp"
      },
      {
       "port": 8081,
       "protocol": "udp"
      }
     ]
    }
   ]
  },
  {
   "name": "pod2",
   "netns": "netlab.two-node.pod.pod2",
   "containers": [
    {
     "name": "web",
     "listen": [
      {
       "port": 80,
       "protocol": "tcp"
      },
      {
       "port": 8081,
       "protocol": "udp"
      }
     ]
    }
   ]
  },
  {
   "name": "pod3",
   "netns": "netlab.two-node.pod.pod3",
   "containers": [
    {
     "name": "web",
     "listen": [
      {
       "port": 80,
       "protocol": "tcp"
      },
      {
       "port": 8081,
       "protocol": "udp"
      }
     ]
    }
   ]
  },
  {
   "name": "pod4",
   "netns": "netlab.two-node.pod.pod4",
   "containers": [
    {
     "name": "web",
     "listen": [
      {
       "port": 80,
       "protocol": "tcp"
      },
      {
       "port": 8081,
       "protocol": "udp"
      }
     ]
    }
   ]
  }
 ]
}
NETLAB_EOF
ip netns exec netlab.two-node.fabric python3 /usr/lib/netlab/runtime/netlab-agent.py /run/netlab/two-node/containers.json >/dev/null &
