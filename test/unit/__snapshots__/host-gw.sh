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

# Create links (veth pairs, bridges, VXLAN) (7)
ip -n netlab.host-gw.fabric link add underlay mtu 1500 address 02:00:00:00:00:01 type bridge
ip -n netlab.host-gw.node.node1 link add eth0 mtu 1500 address 66:6f:6f:7e:c2:d6 type veth peer name node1 mtu 1500 address 76:ca:ff:fe:94:61 netns netlab.host-gw.fabric
ip -n netlab.host-gw.node.node2 link add eth0 mtu 1500 address 92:c2:37:b1:4a:94 type veth peer name node2 mtu 1500 address 66:8b:75:85:33:73 netns netlab.host-gw.fabric
ip -n netlab.host-gw.node.node3 link add eth0 mtu 1500 address b6:e5:41:12:d1:23 type veth peer name node3 mtu 1500 address 06:b6:f0:72:4a:b7 netns netlab.host-gw.fabric
ip -n netlab.host-gw.node.node1 link add cni0 mtu 1500 address 5e:fd:1a:3d:64:ba type bridge
ip -n netlab.host-gw.node.node2 link add cni0 mtu 1500 address 7a:23:b6:aa:29:a2 type bridge
ip -n netlab.host-gw.node.node3 link add cni0 mtu 1500 address 56:ca:d2:2f:59:d5 type bridge

# Wire pods, assign addresses and bring links up (63)
ip -n netlab.host-gw.fabric link set dev lo up
ip -n netlab.host-gw.fabric link set dev underlay up
ip -n netlab.host-gw.fabric link set dev node1 master underlay
ip -n netlab.host-gw.fabric link set dev node1 up
ip -n netlab.host-gw.node.node1 link set dev lo up
ip -n netlab.host-gw.node.node1 addr add 192.168.19.1/24 dev eth0
ip -n netlab.host-gw.node.node1 link set dev eth0 up
ip -n netlab.host-gw.fabric link set dev node2 master underlay
ip -n netlab.host-gw.fabric link set dev node2 up
ip -n netlab.host-gw.node.node2 link set dev lo up
ip -n netlab.host-gw.node.node2 addr add 192.168.19.2/24 dev eth0
ip -n netlab.host-gw.node.node2 link set dev eth0 up
ip -n netlab.host-gw.fabric link set dev node3 master underlay
ip -n netlab.host-gw.fabric link set dev node3 up
ip -n netlab.host-gw.node.node3 link set dev lo up
ip -n netlab.host-gw.node.node3 addr add 192.168.19.3/24 dev eth0
ip -n netlab.host-gw.node.node3 link set dev eth0 up
ip -n netlab.host-gw.node.node1 addr add 10.244.0.1/24 broadcast 10.244.0.255 dev cni0
ip -n netlab.host-gw.node.node1 link set dev cni0 up
ip -n netlab.host-gw.node.node2 addr add 10.244.1.1/24 broadcast 10.244.1.255 dev cni0
ip -n netlab.host-gw.node.node2 link set dev cni0 up
ip -n netlab.host-gw.node.node3 addr add 10.244.2.1/24 broadcast 10.244.2.255 dev cni0
ip -n netlab.host-gw.node.node3 link set dev cni0 up
ip -n netlab.host-gw.node.node1 link add vethaafd577c mtu 1500 address c2:10:2a:47:b8:da txqueuelen 0 type veth peer name eth0 mtu 1500 address 56:cf:0c:4d:42:5c txqueuelen 0 netns netlab.host-gw.pod.web-0
ip -n netlab.host-gw.node.node1 link set dev vethaafd577c master cni0
ip -n netlab.host-gw.node.node1 link set dev vethaafd577c type bridge_slave hairpin on
ip -n netlab.host-gw.node.node1 link set dev vethaafd577c addrgenmode none
ip -n netlab.host-gw.node.node1 link set dev vethaafd577c up
ip -n netlab.host-gw.pod.web-0 link set dev lo up
ip -n netlab.host-gw.pod.web-0 addr add 10.244.0.2/24 broadcast 10.244.0.255 dev eth0
ip netns exec netlab.host-gw.pod.web-0 sysctl -qw net.ipv4.conf.eth0.arp_notify=1
ip -n netlab.host-gw.pod.web-0 link set dev eth0 addrgenmode none
ip -n netlab.host-gw.pod.web-0 link set dev eth0 up
ip -n netlab.host-gw.node.node2 link add veth976e65ed mtu 1500 address 7a:64:cc:db:31:d1 txqueuelen 0 type veth peer name eth0 mtu 1500 address 4a:43:da:05:f3:a2 txqueuelen 0 netns netlab.host-gw.pod.web-1
ip -n netlab.host-gw.node.node2 link set dev veth976e65ed master cni0
ip -n netlab.host-gw.node.node2 link set dev veth976e65ed type bridge_slave hairpin on
ip -n netlab.host-gw.node.node2 link set dev veth976e65ed addrgenmode none
ip -n netlab.host-gw.node.node2 link set dev veth976e65ed up
ip -n netlab.host-gw.pod.web-1 link set dev lo up
ip -n netlab.host-gw.pod.web-1 addr add 10.244.1.2/24 broadcast 10.244.1.255 dev eth0
ip netns exec netlab.host-gw.pod.web-1 sysctl -qw net.ipv4.conf.eth0.arp_notify=1
ip -n netlab.host-gw.pod.web-1 link set dev eth0 addrgenmode none
ip -n netlab.host-gw.pod.web-1 link set dev eth0 up
ip -n netlab.host-gw.node.node3 link add veth15fb7034 mtu 1500 address 26:5a:56:e0:cd:4e txqueuelen 0 type veth peer name eth0 mtu 1500 address 6e:17:6c:dd:d8:b4 txqueuelen 0 netns netlab.host-gw.pod.web-2
ip -n netlab.host-gw.node.node3 link set dev veth15fb7034 master cni0
ip -n netlab.host-gw.node.node3 link set dev veth15fb7034 type bridge_slave hairpin on
ip -n netlab.host-gw.node.node3 link set dev veth15fb7034 addrgenmode none
ip -n netlab.host-gw.node.node3 link set dev veth15fb7034 up
ip -n netlab.host-gw.pod.web-2 link set dev lo up
ip -n netlab.host-gw.pod.web-2 addr add 10.244.2.2/24 broadcast 10.244.2.255 dev eth0
ip netns exec netlab.host-gw.pod.web-2 sysctl -qw net.ipv4.conf.eth0.arp_notify=1
ip -n netlab.host-gw.pod.web-2 link set dev eth0 addrgenmode none
ip -n netlab.host-gw.pod.web-2 link set dev eth0 up
ip -n netlab.host-gw.node.node1 link add veth493fa375 mtu 1500 address c6:58:6e:29:c5:45 txqueuelen 0 type veth peer name eth0 mtu 1500 address 22:ba:35:8c:6a:be txqueuelen 0 netns netlab.host-gw.pod.client
ip -n netlab.host-gw.node.node1 link set dev veth493fa375 master cni0
ip -n netlab.host-gw.node.node1 link set dev veth493fa375 type bridge_slave hairpin on
ip -n netlab.host-gw.node.node1 link set dev veth493fa375 addrgenmode none
ip -n netlab.host-gw.node.node1 link set dev veth493fa375 up
ip -n netlab.host-gw.pod.client link set dev lo up
ip -n netlab.host-gw.pod.client addr add 10.244.0.3/24 broadcast 10.244.0.255 dev eth0
ip netns exec netlab.host-gw.pod.client sysctl -qw net.ipv4.conf.eth0.arp_notify=1
ip -n netlab.host-gw.pod.client link set dev eth0 addrgenmode none
ip -n netlab.host-gw.pod.client link set dev eth0 up

# Install routes, neighbours and FDB entries (14)
ip -n netlab.host-gw.node.node1 route add 10.244.1.0/24 via 192.168.19.2 dev eth0
ip -n netlab.host-gw.node.node1 route add 10.244.2.0/24 via 192.168.19.3 dev eth0
ip -n netlab.host-gw.node.node2 route add 10.244.0.0/24 via 192.168.19.1 dev eth0
ip -n netlab.host-gw.node.node2 route add 10.244.2.0/24 via 192.168.19.3 dev eth0
ip -n netlab.host-gw.node.node3 route add 10.244.0.0/24 via 192.168.19.1 dev eth0
ip -n netlab.host-gw.node.node3 route add 10.244.1.0/24 via 192.168.19.2 dev eth0
ip -n netlab.host-gw.pod.web-0 route add default via 10.244.0.1 dev eth0
ip -n netlab.host-gw.pod.web-0 route add 10.244.0.0/16 via 10.244.0.1 dev eth0
ip -n netlab.host-gw.pod.web-1 route add default via 10.244.1.1 dev eth0
ip -n netlab.host-gw.pod.web-1 route add 10.244.0.0/16 via 10.244.1.1 dev eth0
ip -n netlab.host-gw.pod.web-2 route add default via 10.244.2.1 dev eth0
ip -n netlab.host-gw.pod.web-2 route add 10.244.0.0/16 via 10.244.2.1 dev eth0
ip -n netlab.host-gw.pod.client route add default via 10.244.0.1 dev eth0
ip -n netlab.host-gw.pod.client route add 10.244.0.0/16 via 10.244.0.1 dev eth0

# Set sysctls (10)
ip netns exec netlab.host-gw.node.node1 sysctl -qw net.ipv4.ip_forward=1
ip netns exec netlab.host-gw.node.node2 sysctl -qw net.ipv4.ip_forward=1
ip netns exec netlab.host-gw.node.node3 sysctl -qw net.ipv4.ip_forward=1
ip netns exec netlab.host-gw.node.node1 sysctl -qw net.ipv6.conf.cni0.accept_ra=0
ip netns exec netlab.host-gw.node.node2 sysctl -qw net.ipv6.conf.cni0.accept_ra=0
ip netns exec netlab.host-gw.node.node3 sysctl -qw net.ipv6.conf.cni0.accept_ra=0
ip netns exec netlab.host-gw.node.node1 sysctl -qw net.ipv6.conf.vethaafd577c.accept_ra=0
ip netns exec netlab.host-gw.node.node2 sysctl -qw net.ipv6.conf.veth976e65ed.accept_ra=0
ip netns exec netlab.host-gw.node.node3 sysctl -qw net.ipv6.conf.veth15fb7034.accept_ra=0
ip netns exec netlab.host-gw.node.node1 sysctl -qw net.ipv6.conf.veth493fa375.accept_ra=0

# Start containers (2)
mkdir -p /run/netlab/host-gw
cat > /run/netlab/host-gw/containers.json <<'NETLAB_EOF'
{
 "protocol": 1,
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
ip netns exec netlab.host-gw.fabric python3 /usr/lib/netlab/runtime/netlab-agent.py /run/netlab/host-gw/containers.json </dev/null >/dev/null 2>>/run/netlab/host-gw/containers.log &
