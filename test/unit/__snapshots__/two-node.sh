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

# Create links (veth pairs, bridges, VXLAN) (7)
ip -n netlab.two-node.fabric link add underlay mtu 1500 address 02:00:00:00:00:01 type bridge
ip -n netlab.two-node.node.node1 link add eth0 mtu 1500 address 66:6f:6f:7e:c2:d6 type veth peer name node1 mtu 1500 address 76:ca:ff:fe:94:61 netns netlab.two-node.fabric
ip -n netlab.two-node.node.node2 link add eth0 mtu 1500 address 92:c2:37:b1:4a:94 type veth peer name node2 mtu 1500 address 66:8b:75:85:33:73 netns netlab.two-node.fabric
ip -n netlab.two-node.node.node1 link add flannel.1 mtu 1450 address 56:fa:cf:4f:1e:07 txqueuelen 0 type vxlan id 1 local 192.168.19.13 dev eth0 nolearning dstport 8472
ip -n netlab.two-node.node.node2 link add flannel.1 mtu 1450 address 7e:a9:0d:96:eb:da txqueuelen 0 type vxlan id 1 local 192.168.19.14 dev eth0 nolearning dstport 8472
ip -n netlab.two-node.node.node1 link add cni0 mtu 1450 address 5e:fd:1a:3d:64:ba type bridge
ip -n netlab.two-node.node.node2 link add cni0 mtu 1450 address 7a:23:b6:aa:29:a2 type bridge

# Wire pods, assign addresses and bring links up (60)
ip -n netlab.two-node.fabric link set dev lo up
ip -n netlab.two-node.fabric link set dev underlay up
ip -n netlab.two-node.fabric link set dev node1 master underlay
ip -n netlab.two-node.fabric link set dev node1 up
ip -n netlab.two-node.node.node1 link set dev lo up
ip -n netlab.two-node.node.node1 addr add 192.168.19.13/24 dev eth0
ip -n netlab.two-node.node.node1 link set dev eth0 up
ip -n netlab.two-node.fabric link set dev node2 master underlay
ip -n netlab.two-node.fabric link set dev node2 up
ip -n netlab.two-node.node.node2 link set dev lo up
ip -n netlab.two-node.node.node2 addr add 192.168.19.14/24 dev eth0
ip -n netlab.two-node.node.node2 link set dev eth0 up
ip -n netlab.two-node.node.node1 addr add 10.244.0.0/32 dev flannel.1
ip -n netlab.two-node.node.node1 link set dev flannel.1 up
ip -n netlab.two-node.node.node2 addr add 10.244.1.0/32 dev flannel.1
ip -n netlab.two-node.node.node2 link set dev flannel.1 up
ip -n netlab.two-node.node.node1 addr add 10.244.0.1/24 broadcast 10.244.0.255 dev cni0
ip -n netlab.two-node.node.node1 link set dev cni0 up
ip -n netlab.two-node.node.node2 addr add 10.244.1.1/24 broadcast 10.244.1.255 dev cni0
ip -n netlab.two-node.node.node2 link set dev cni0 up
ip -n netlab.two-node.node.node1 link add veth2e19986c mtu 1450 address a2:d1:9b:a0:20:f1 txqueuelen 0 type veth peer name eth0 mtu 1450 address aa:7a:af:8c:06:40 txqueuelen 0 netns netlab.two-node.pod.pod1
ip -n netlab.two-node.node.node1 link set dev veth2e19986c master cni0
ip -n netlab.two-node.node.node1 link set dev veth2e19986c type bridge_slave hairpin on
ip -n netlab.two-node.node.node1 link set dev veth2e19986c addrgenmode none
ip -n netlab.two-node.node.node1 link set dev veth2e19986c up
ip -n netlab.two-node.pod.pod1 link set dev lo up
ip -n netlab.two-node.pod.pod1 addr add 10.244.0.2/24 broadcast 10.244.0.255 dev eth0
ip netns exec netlab.two-node.pod.pod1 sysctl -qw net.ipv4.conf.eth0.arp_notify=1
ip -n netlab.two-node.pod.pod1 link set dev eth0 addrgenmode none
ip -n netlab.two-node.pod.pod1 link set dev eth0 up
ip -n netlab.two-node.node.node1 link add veth5df058d6 mtu 1450 address 3a:53:66:92:cd:15 txqueuelen 0 type veth peer name eth0 mtu 1450 address 0a:ea:1a:89:d1:d4 txqueuelen 0 netns netlab.two-node.pod.pod2
ip -n netlab.two-node.node.node1 link set dev veth5df058d6 master cni0
ip -n netlab.two-node.node.node1 link set dev veth5df058d6 type bridge_slave hairpin on
ip -n netlab.two-node.node.node1 link set dev veth5df058d6 addrgenmode none
ip -n netlab.two-node.node.node1 link set dev veth5df058d6 up
ip -n netlab.two-node.pod.pod2 link set dev lo up
ip -n netlab.two-node.pod.pod2 addr add 10.244.0.3/24 broadcast 10.244.0.255 dev eth0
ip netns exec netlab.two-node.pod.pod2 sysctl -qw net.ipv4.conf.eth0.arp_notify=1
ip -n netlab.two-node.pod.pod2 link set dev eth0 addrgenmode none
ip -n netlab.two-node.pod.pod2 link set dev eth0 up
ip -n netlab.two-node.node.node2 link add vethbffb9873 mtu 1450 address ce:ef:1d:71:e1:f6 txqueuelen 0 type veth peer name eth0 mtu 1450 address 2a:2b:5a:6f:ba:40 txqueuelen 0 netns netlab.two-node.pod.pod3
ip -n netlab.two-node.node.node2 link set dev vethbffb9873 master cni0
ip -n netlab.two-node.node.node2 link set dev vethbffb9873 type bridge_slave hairpin on
ip -n netlab.two-node.node.node2 link set dev vethbffb9873 addrgenmode none
ip -n netlab.two-node.node.node2 link set dev vethbffb9873 up
ip -n netlab.two-node.pod.pod3 link set dev lo up
ip -n netlab.two-node.pod.pod3 addr add 10.244.1.2/24 broadcast 10.244.1.255 dev eth0
ip netns exec netlab.two-node.pod.pod3 sysctl -qw net.ipv4.conf.eth0.arp_notify=1
ip -n netlab.two-node.pod.pod3 link set dev eth0 addrgenmode none
ip -n netlab.two-node.pod.pod3 link set dev eth0 up
ip -n netlab.two-node.node.node2 link add veth2c82fbde mtu 1450 address 9a:1a:45:ea:8a:4f txqueuelen 0 type veth peer name eth0 mtu 1450 address ca:41:14:5e:c6:c8 txqueuelen 0 netns netlab.two-node.pod.pod4
ip -n netlab.two-node.node.node2 link set dev veth2c82fbde master cni0
ip -n netlab.two-node.node.node2 link set dev veth2c82fbde type bridge_slave hairpin on
ip -n netlab.two-node.node.node2 link set dev veth2c82fbde addrgenmode none
ip -n netlab.two-node.node.node2 link set dev veth2c82fbde up
ip -n netlab.two-node.pod.pod4 link set dev lo up
ip -n netlab.two-node.pod.pod4 addr add 10.244.1.3/24 broadcast 10.244.1.255 dev eth0
ip netns exec netlab.two-node.pod.pod4 sysctl -qw net.ipv4.conf.eth0.arp_notify=1
ip -n netlab.two-node.pod.pod4 link set dev eth0 addrgenmode none
ip -n netlab.two-node.pod.pod4 link set dev eth0 up

# Install routes, neighbours and FDB entries (14)
ip -n netlab.two-node.node.node1 neigh replace 10.244.1.0 lladdr 7e:a9:0d:96:eb:da dev flannel.1 nud permanent
bridge -n netlab.two-node.node.node1 fdb replace 7e:a9:0d:96:eb:da dev flannel.1 dst 192.168.19.14 self permanent
ip -n netlab.two-node.node.node1 route replace 10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink
ip -n netlab.two-node.node.node2 neigh replace 10.244.0.0 lladdr 56:fa:cf:4f:1e:07 dev flannel.1 nud permanent
bridge -n netlab.two-node.node.node2 fdb replace 56:fa:cf:4f:1e:07 dev flannel.1 dst 192.168.19.13 self permanent
ip -n netlab.two-node.node.node2 route replace 10.244.0.0/24 via 10.244.0.0 dev flannel.1 onlink
ip -n netlab.two-node.pod.pod1 route add default via 10.244.0.1 dev eth0
ip -n netlab.two-node.pod.pod1 route add 10.244.0.0/16 via 10.244.0.1 dev eth0
ip -n netlab.two-node.pod.pod2 route add default via 10.244.0.1 dev eth0
ip -n netlab.two-node.pod.pod2 route add 10.244.0.0/16 via 10.244.0.1 dev eth0
ip -n netlab.two-node.pod.pod3 route add default via 10.244.1.1 dev eth0
ip -n netlab.two-node.pod.pod3 route add 10.244.0.0/16 via 10.244.1.1 dev eth0
ip -n netlab.two-node.pod.pod4 route add default via 10.244.1.1 dev eth0
ip -n netlab.two-node.pod.pod4 route add 10.244.0.0/16 via 10.244.1.1 dev eth0

# Set sysctls (10)
ip netns exec netlab.two-node.node.node1 sysctl -qw net.ipv4.ip_forward=1
ip netns exec netlab.two-node.node.node2 sysctl -qw net.ipv4.ip_forward=1
ip netns exec netlab.two-node.node.node1 sysctl -qw net.ipv6.conf.flannel/1.accept_ra=0
ip netns exec netlab.two-node.node.node2 sysctl -qw net.ipv6.conf.flannel/1.accept_ra=0
ip netns exec netlab.two-node.node.node1 sysctl -qw net.ipv6.conf.cni0.accept_ra=0
ip netns exec netlab.two-node.node.node2 sysctl -qw net.ipv6.conf.cni0.accept_ra=0
ip netns exec netlab.two-node.node.node1 sysctl -qw net.ipv6.conf.veth2e19986c.accept_ra=0
ip netns exec netlab.two-node.node.node1 sysctl -qw net.ipv6.conf.veth5df058d6.accept_ra=0
ip netns exec netlab.two-node.node.node2 sysctl -qw net.ipv6.conf.vethbffb9873.accept_ra=0
ip netns exec netlab.two-node.node.node2 sysctl -qw net.ipv6.conf.veth2c82fbde.accept_ra=0

# Start containers (2)
mkdir -p /run/netlab/two-node
cat > /run/netlab/two-node/containers.json <<'NETLAB_EOF'
{
 "protocol": 1,
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
ip netns exec netlab.two-node.fabric python3 /usr/lib/netlab/runtime/netlab-agent.py /run/netlab/two-node/containers.json </dev/null >/dev/null 2>>/run/netlab/two-node/containers.log &
