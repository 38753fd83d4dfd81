#!/bin/sh
# netlab plan for lab "calico": run as root; `netlab down calico` removes it all.
set -e

# Create namespaces (8)
ip netns add netlab.calico.fabric
ip netns add netlab.calico.node.node1
ip netns add netlab.calico.node.node2
ip netns add netlab.calico.node.node3
ip netns add netlab.calico.pod.pod1
ip netns add netlab.calico.pod.pod2
ip netns add netlab.calico.pod.pod3
ip netns add netlab.calico.pod.pod4

# Create links (veth pairs, bridges, VXLAN) (8)
ip -n netlab.calico.fabric link add underlay mtu 1500 address 02:00:00:00:00:01 type bridge
ip -n netlab.calico.node.node1 link add eth0 mtu 1500 address 66:6f:6f:7e:c2:d6 type veth peer name node1 mtu 1500 address 76:ca:ff:fe:94:61 netns netlab.calico.fabric
ip -n netlab.calico.node.node2 link add eth0 mtu 1500 address 92:c2:37:b1:4a:94 type veth peer name node2 mtu 1500 address 66:8b:75:85:33:73 netns netlab.calico.fabric
ip -n netlab.calico.node.node3 link add eth0 mtu 1500 address b6:e5:41:12:d1:23 type veth peer name node3 mtu 1500 address 06:b6:f0:72:4a:b7 netns netlab.calico.fabric
ip -n netlab.calico.node.node1 link add calice0906292e2 mtu 1500 address ee:ee:ee:ee:ee:ee type veth peer name eth0 mtu 1500 address aa:7a:af:8c:06:40 netns netlab.calico.pod.pod1
ip -n netlab.calico.node.node1 link add calibd2348b4f67 mtu 1500 address ee:ee:ee:ee:ee:ee type veth peer name eth0 mtu 1500 address 0a:ea:1a:89:d1:d4 netns netlab.calico.pod.pod2
ip -n netlab.calico.node.node2 link add cali49778cadcf1 mtu 1500 address ee:ee:ee:ee:ee:ee type veth peer name eth0 mtu 1500 address 2a:2b:5a:6f:ba:40 netns netlab.calico.pod.pod3
ip -n netlab.calico.node.node3 link add cali3a3e66463d6 mtu 1500 address ee:ee:ee:ee:ee:ee type veth peer name eth0 mtu 1500 address ca:41:14:5e:c6:c8 netns netlab.calico.pod.pod4

# Wire pods, assign addresses and bring links up (41)
ip -n netlab.calico.fabric link set dev lo up
ip -n netlab.calico.fabric link set dev underlay up
ip -n netlab.calico.fabric link set dev node1 master underlay
ip -n netlab.calico.fabric link set dev node1 up
ip -n netlab.calico.node.node1 link set dev lo up
ip -n netlab.calico.node.node1 addr add 192.168.19.1/24 dev eth0
ip -n netlab.calico.node.node1 link set dev eth0 up
ip -n netlab.calico.fabric link set dev node2 master underlay
ip -n netlab.calico.fabric link set dev node2 up
ip -n netlab.calico.node.node2 link set dev lo up
ip -n netlab.calico.node.node2 addr add 192.168.19.2/24 dev eth0
ip -n netlab.calico.node.node2 link set dev eth0 up
ip -n netlab.calico.fabric link set dev node3 master underlay
ip -n netlab.calico.fabric link set dev node3 up
ip -n netlab.calico.node.node3 link set dev lo up
ip -n netlab.calico.node.node3 addr add 192.168.19.3/24 dev eth0
ip -n netlab.calico.node.node3 link set dev eth0 up
ip -n netlab.calico.node.node1 link set dev calice0906292e2 addrgenmode none
ip -n netlab.calico.node.node1 link set dev calice0906292e2 up
ip -n netlab.calico.pod.pod1 link set dev lo up
ip -n netlab.calico.pod.pod1 addr add 10.244.0.0/32 dev eth0
ip -n netlab.calico.pod.pod1 link set dev eth0 addrgenmode none
ip -n netlab.calico.pod.pod1 link set dev eth0 up
ip -n netlab.calico.node.node1 link set dev calibd2348b4f67 addrgenmode none
ip -n netlab.calico.node.node1 link set dev calibd2348b4f67 up
ip -n netlab.calico.pod.pod2 link set dev lo up
ip -n netlab.calico.pod.pod2 addr add 10.244.0.1/32 dev eth0
ip -n netlab.calico.pod.pod2 link set dev eth0 addrgenmode none
ip -n netlab.calico.pod.pod2 link set dev eth0 up
ip -n netlab.calico.node.node2 link set dev cali49778cadcf1 addrgenmode none
ip -n netlab.calico.node.node2 link set dev cali49778cadcf1 up
ip -n netlab.calico.pod.pod3 link set dev lo up
ip -n netlab.calico.pod.pod3 addr add 10.244.0.64/32 dev eth0
ip -n netlab.calico.pod.pod3 link set dev eth0 addrgenmode none
ip -n netlab.calico.pod.pod3 link set dev eth0 up
ip -n netlab.calico.node.node3 link set dev cali3a3e66463d6 addrgenmode none
ip -n netlab.calico.node.node3 link set dev cali3a3e66463d6 up
ip -n netlab.calico.pod.pod4 link set dev lo up
ip -n netlab.calico.pod.pod4 addr add 10.244.0.128/32 dev eth0
ip -n netlab.calico.pod.pod4 link set dev eth0 addrgenmode none
ip -n netlab.calico.pod.pod4 link set dev eth0 up

# Install routes, neighbours and FDB entries (19)
ip -n netlab.calico.node.node1 route add 169.254.1.1/32 dev eth0
ip -n netlab.calico.node.node2 route add 169.254.1.1/32 dev eth0
ip -n netlab.calico.node.node3 route add 169.254.1.1/32 dev eth0
ip -n netlab.calico.pod.pod1 route add 169.254.1.1/32 dev eth0
ip -n netlab.calico.pod.pod1 route add default via 169.254.1.1 dev eth0
ip -n netlab.calico.node.node1 route replace 10.244.0.0/32 dev calice0906292e2
ip -n netlab.calico.node.node1 neigh replace 10.244.0.0 lladdr aa:7a:af:8c:06:40 dev calice0906292e2 nud permanent
ip -n netlab.calico.pod.pod2 route add 169.254.1.1/32 dev eth0
ip -n netlab.calico.pod.pod2 route add default via 169.254.1.1 dev eth0
ip -n netlab.calico.node.node1 route replace 10.244.0.1/32 dev calibd2348b4f67
ip -n netlab.calico.node.node1 neigh replace 10.244.0.1 lladdr 0a:ea:1a:89:d1:d4 dev calibd2348b4f67 nud permanent
ip -n netlab.calico.pod.pod3 route add 169.254.1.1/32 dev eth0
ip -n netlab.calico.pod.pod3 route add default via 169.254.1.1 dev eth0
ip -n netlab.calico.node.node2 route replace 10.244.0.64/32 dev cali49778cadcf1
ip -n netlab.calico.node.node2 neigh replace 10.244.0.64 lladdr 2a:2b:5a:6f:ba:40 dev cali49778cadcf1 nud permanent
ip -n netlab.calico.pod.pod4 route add 169.254.1.1/32 dev eth0
ip -n netlab.calico.pod.pod4 route add default via 169.254.1.1 dev eth0
ip -n netlab.calico.node.node3 route replace 10.244.0.128/32 dev cali3a3e66463d6
ip -n netlab.calico.node.node3 neigh replace 10.244.0.128 lladdr ca:41:14:5e:c6:c8 dev cali3a3e66463d6 nud permanent

# Set sysctls (19)
ip netns exec netlab.calico.node.node1 sysctl -qw net.ipv4.ip_forward=1
ip netns exec netlab.calico.node.node2 sysctl -qw net.ipv4.ip_forward=1
ip netns exec netlab.calico.node.node3 sysctl -qw net.ipv4.ip_forward=1
ip netns exec netlab.calico.node.node1 sysctl -qw net.ipv4.conf.calice0906292e2.proxy_arp=1
ip netns exec netlab.calico.node.node1 sysctl -qw net.ipv4.neigh.calice0906292e2.proxy_delay=0
ip netns exec netlab.calico.node.node1 sysctl -qw net.ipv4.conf.calice0906292e2.forwarding=1
ip netns exec netlab.calico.node.node1 sysctl -qw net.ipv4.conf.calice0906292e2.route_localnet=1
ip netns exec netlab.calico.node.node1 sysctl -qw net.ipv4.conf.calibd2348b4f67.proxy_arp=1
ip netns exec netlab.calico.node.node1 sysctl -qw net.ipv4.neigh.calibd2348b4f67.proxy_delay=0
ip netns exec netlab.calico.node.node1 sysctl -qw net.ipv4.conf.calibd2348b4f67.forwarding=1
ip netns exec netlab.calico.node.node1 sysctl -qw net.ipv4.conf.calibd2348b4f67.route_localnet=1
ip netns exec netlab.calico.node.node2 sysctl -qw net.ipv4.conf.cali49778cadcf1.proxy_arp=1
ip netns exec netlab.calico.node.node2 sysctl -qw net.ipv4.neigh.cali49778cadcf1.proxy_delay=0
ip netns exec netlab.calico.node.node2 sysctl -qw net.ipv4.conf.cali49778cadcf1.forwarding=1
ip netns exec netlab.calico.node.node2 sysctl -qw net.ipv4.conf.cali49778cadcf1.route_localnet=1
ip netns exec netlab.calico.node.node3 sysctl -qw net.ipv4.conf.cali3a3e66463d6.proxy_arp=1
ip netns exec netlab.calico.node.node3 sysctl -qw net.ipv4.neigh.cali3a3e66463d6.proxy_delay=0
ip netns exec netlab.calico.node.node3 sysctl -qw net.ipv4.conf.cali3a3e66463d6.forwarding=1
ip netns exec netlab.calico.node.node3 sysctl -qw net.ipv4.conf.cali3a3e66463d6.route_localnet=1

# Start BGP daemons (BIRD) (6)
mkdir -p /run/netlab/calico/bgp
cat > /run/netlab/calico/bgp/node1.conf <<'NETLAB_EOF'
# BIRD for node node1 of lab calico: calico/node's confd output in bird2 syntax (docs/calico.md).
log "/run/netlab/calico/bgp/node1.log" { info, remote, warning, error, auth, fatal, bug };
timeformat protocol "%T";

function apply_communities ()
{
}

# ------------- bird_aggr.cfg -------------
protocol static {
  ipv4;
   # IP blocks for this host.
   route 10.244.0.0/26 blackhole;
}

# Aggregation of routes on this host; export the block, nothing beneath it.
function calico_aggr ()
{
      # Block 10.244.0.0/26 is implicitly confirmed.
      if ( net = 10.244.0.0/26 ) then { accept; }
      if ( net ~ 10.244.0.0/26 ) then { reject; }
}

# ------------- bird_ipam.cfg -------------
function reject_disabled_pools ()
{
}

function reject_tunnel_routes () {
  # Don't export tunnel routes to other nodes, Felix programs them.
  # IPIP routes are handled by Bird, and it does not re-advertise them.
  if (defined(ifname)) then {
     if ((ifname ~ "*.cali") || (ifname ~ "*.calico")) then {
        reject;
     }
  }
}

function calico_export_to_bgp_peers(bool internal_peer) {
  # filter code terminates when it calls `accept;` or `reject;`,
  # call reject_disabled_pools() first, then reject_tunnel_routes(),
  # then apply_communities() and then calico_aggr()
  reject_disabled_pools();
  if (internal_peer) then {
    reject_tunnel_routes();
  }
  apply_communities();
  calico_aggr();
  if (net ~ 10.244.0.0/16) then { accept; }
}

filter calico_kernel_programming {
  if (net ~ 10.244.0.0/16) then { accept; } # krt_tunnel="" in Calico's BIRD: no tunnel.
  accept;
}

# ------------- bird.cfg -------------
router id 192.168.19.1;

# Configure synchronization between routing tables and kernel.
protocol kernel {
  learn;             # Learn all alien routes from the kernel
  persist;           # Don't remove routes on bird shutdown
  scan time 2;       # Scan kernel routing table every 2 seconds
  ipv4 {
    import all;
    export filter calico_kernel_programming; # Default is export none
  };
  graceful restart;  # Turn on graceful restart to reduce potential flaps in
                     # routes when reloading BIRD configuration.
  merge paths on;    # Allow export multipath routes (ECMP)
  metric 0;          # netlab: BIRD 1 sets no metric; bird2's default is 32.
}

# Watch interface up/down events.
protocol device {
  scan time 2;    # Scan interfaces every 2 seconds
}

protocol direct {
  debug { states };
  ipv4;
  interface -"cali*", -"kube-ipvs*", "*"; # Exclude cali* and kube-ipvs* but
                                          # include everything else.
}

# Template for all BGP clients
template bgp bgp_template {
  debug { states };
  description "Connection to BGP peer";
  local as 64512;
  multihop;
  ipv4 {
    gateway recursive; # This should be the default, but just in case.
    add paths on;
  };
  graceful restart;  # See comment in kernel section about graceful restart.
  connect delay time 1;
  connect retry time 3;
  error wait time 5,60;
}

# ------------- Node-to-node mesh -------------
# For peer node2
protocol bgp Mesh_192_168_19_2 from bgp_template {
  neighbor 192.168.19.2 as 64512;
  source address 192.168.19.1;  # The local address we use for the TCP connection
  ipv4 {
    import all;        # Import all routes, since we don't know what the upstream
                       # topology is and therefore have to trust the ToR/RR.
    export filter {
      calico_export_to_bgp_peers(true);
      reject;
    };  # Only want to export routes for workloads.
  };
  passive on; # Mesh is unidirectional, peer will connect to us.
  graceful restart time 120;
}

# For peer node3
protocol bgp Mesh_192_168_19_3 from bgp_template {
  neighbor 192.168.19.3 as 64512;
  source address 192.168.19.1;  # The local address we use for the TCP connection
  ipv4 {
    import all;        # Import all routes, since we don't know what the upstream
                       # topology is and therefore have to trust the ToR/RR.
    export filter {
      calico_export_to_bgp_peers(true);
      reject;
    };  # Only want to export routes for workloads.
  };
  passive on; # Mesh is unidirectional, peer will connect to us.
  graceful restart time 120;
}
NETLAB_EOF
ip netns exec netlab.calico.node.node1 bird -c /run/netlab/calico/bgp/node1.conf -s /run/netlab/calico/bgp/node1.ctl -P /run/netlab/calico/bgp/node1.pid
mkdir -p /run/netlab/calico/bgp
cat > /run/netlab/calico/bgp/node2.conf <<'NETLAB_EOF'
# BIRD for node node2 of lab calico: calico/node's confd output in bird2 syntax (docs/calico.md).
log "/run/netlab/calico/bgp/node2.log" { info, remote, warning, error, auth, fatal, bug };
timeformat protocol "%T";

function apply_communities ()
{
}

# ------------- bird_aggr.cfg -------------
protocol static {
  ipv4;
   # IP blocks for this host.
   route 10.244.0.64/26 blackhole;
}

# Aggregation of routes on this host; export the block, nothing beneath it.
function calico_aggr ()
{
      # Block 10.244.0.64/26 is implicitly confirmed.
      if ( net = 10.244.0.64/26 ) then { accept; }
      if ( net ~ 10.244.0.64/26 ) then { reject; }
}

# ------------- bird_ipam.cfg -------------
function reject_disabled_pools ()
{
}

function reject_tunnel_routes () {
  # Don't export tunnel routes to other nodes, Felix programs them.
  # IPIP routes are handled by Bird, and it does not re-advertise them.
  if (defined(ifname)) then {
     if ((ifname ~ "*.cali") || (ifname ~ "*.calico")) then {
        reject;
     }
  }
}

function calico_export_to_bgp_peers(bool internal_peer) {
  # filter code terminates when it calls `accept;` or `reject;`,
  # call reject_disabled_pools() first, then reject_tunnel_routes(),
  # then apply_communities() and then calico_aggr()
  reject_disabled_pools();
  if (internal_peer) then {
    reject_tunnel_routes();
  }
  apply_communities();
  calico_aggr();
  if (net ~ 10.244.0.0/16) then { accept; }
}

filter calico_kernel_programming {
  if (net ~ 10.244.0.0/16) then { accept; } # krt_tunnel="" in Calico's BIRD: no tunnel.
  accept;
}

# ------------- bird.cfg -------------
router id 192.168.19.2;

# Configure synchronization between routing tables and kernel.
protocol kernel {
  learn;             # Learn all alien routes from the kernel
  persist;           # Don't remove routes on bird shutdown
  scan time 2;       # Scan kernel routing table every 2 seconds
  ipv4 {
    import all;
    export filter calico_kernel_programming; # Default is export none
  };
  graceful restart;  # Turn on graceful restart to reduce potential flaps in
                     # routes when reloading BIRD configuration.
  merge paths on;    # Allow export multipath routes (ECMP)
  metric 0;          # netlab: BIRD 1 sets no metric; bird2's default is 32.
}

# Watch interface up/down events.
protocol device {
  scan time 2;    # Scan interfaces every 2 seconds
}

protocol direct {
  debug { states };
  ipv4;
  interface -"cali*", -"kube-ipvs*", "*"; # Exclude cali* and kube-ipvs* but
                                          # include everything else.
}

# Template for all BGP clients
template bgp bgp_template {
  debug { states };
  description "Connection to BGP peer";
  local as 64512;
  multihop;
  ipv4 {
    gateway recursive; # This should be the default, but just in case.
    add paths on;
  };
  graceful restart;  # See comment in kernel section about graceful restart.
  connect delay time 1;
  connect retry time 3;
  error wait time 5,60;
}

# ------------- Node-to-node mesh -------------
# For peer node1
protocol bgp Mesh_192_168_19_1 from bgp_template {
  neighbor 192.168.19.1 as 64512;
  source address 192.168.19.2;  # The local address we use for the TCP connection
  ipv4 {
    import all;        # Import all routes, since we don't know what the upstream
                       # topology is and therefore have to trust the ToR/RR.
    export filter {
      calico_export_to_bgp_peers(true);
      reject;
    };  # Only want to export routes for workloads.
  };
  graceful restart time 120;
}

# For peer node3
protocol bgp Mesh_192_168_19_3 from bgp_template {
  neighbor 192.168.19.3 as 64512;
  source address 192.168.19.2;  # The local address we use for the TCP connection
  ipv4 {
    import all;        # Import all routes, since we don't know what the upstream
                       # topology is and therefore have to trust the ToR/RR.
    export filter {
      calico_export_to_bgp_peers(true);
      reject;
    };  # Only want to export routes for workloads.
  };
  passive on; # Mesh is unidirectional, peer will connect to us.
  graceful restart time 120;
}
NETLAB_EOF
ip netns exec netlab.calico.node.node2 bird -c /run/netlab/calico/bgp/node2.conf -s /run/netlab/calico/bgp/node2.ctl -P /run/netlab/calico/bgp/node2.pid
mkdir -p /run/netlab/calico/bgp
cat > /run/netlab/calico/bgp/node3.conf <<'NETLAB_EOF'
# BIRD for node node3 of lab calico: calico/node's confd output in bird2 syntax (docs/calico.md).
log "/run/netlab/calico/bgp/node3.log" { info, remote, warning, error, auth, fatal, bug };
timeformat protocol "%T";

function apply_communities ()
{
}

# ------------- bird_aggr.cfg -------------
protocol static {
  ipv4;
   # IP blocks for this host.
   route 10.244.0.128/26 blackhole;
}

# Aggregation of routes on this host; export the block, nothing beneath it.
function calico_aggr ()
{
      # Block 10.244.0.128/26 is implicitly confirmed.
      if ( net = 10.244.0.128/26 ) then { accept; }
      if ( net ~ 10.244.0.128/26 ) then { reject; }
}

# ------------- bird_ipam.cfg -------------
function reject_disabled_pools ()
{
}

function reject_tunnel_routes () {
  # Don't export tunnel routes to other nodes, Felix programs them.
  # IPIP routes are handled by Bird, and it does not re-advertise them.
  if (defined(ifname)) then {
     if ((ifname ~ "*.cali") || (ifname ~ "*.calico")) then {
        reject;
     }
  }
}

function calico_export_to_bgp_peers(bool internal_peer) {
  # filter code terminates when it calls `accept;` or `reject;`,
  # call reject_disabled_pools() first, then reject_tunnel_routes(),
  # then apply_communities() and then calico_aggr()
  reject_disabled_pools();
  if (internal_peer) then {
    reject_tunnel_routes();
  }
  apply_communities();
  calico_aggr();
  if (net ~ 10.244.0.0/16) then { accept; }
}

filter calico_kernel_programming {
  if (net ~ 10.244.0.0/16) then { accept; } # krt_tunnel="" in Calico's BIRD: no tunnel.
  accept;
}

# ------------- bird.cfg -------------
router id 192.168.19.3;

# Configure synchronization between routing tables and kernel.
protocol kernel {
  learn;             # Learn all alien routes from the kernel
  persist;           # Don't remove routes on bird shutdown
  scan time 2;       # Scan kernel routing table every 2 seconds
  ipv4 {
    import all;
    export filter calico_kernel_programming; # Default is export none
  };
  graceful restart;  # Turn on graceful restart to reduce potential flaps in
                     # routes when reloading BIRD configuration.
  merge paths on;    # Allow export multipath routes (ECMP)
  metric 0;          # netlab: BIRD 1 sets no metric; bird2's default is 32.
}

# Watch interface up/down events.
protocol device {
  scan time 2;    # Scan interfaces every 2 seconds
}

protocol direct {
  debug { states };
  ipv4;
  interface -"cali*", -"kube-ipvs*", "*"; # Exclude cali* and kube-ipvs* but
                                          # include everything else.
}

# Template for all BGP clients
template bgp bgp_template {
  debug { states };
  description "Connection to BGP peer";
  local as 64512;
  multihop;
  ipv4 {
    gateway recursive; # This should be the default, but just in case.
    add paths on;
  };
  graceful restart;  # See comment in kernel section about graceful restart.
  connect delay time 1;
  connect retry time 3;
  error wait time 5,60;
}

# ------------- Node-to-node mesh -------------
# For peer node1
protocol bgp Mesh_192_168_19_1 from bgp_template {
  neighbor 192.168.19.1 as 64512;
  source address 192.168.19.3;  # The local address we use for the TCP connection
  ipv4 {
    import all;        # Import all routes, since we don't know what the upstream
                       # topology is and therefore have to trust the ToR/RR.
    export filter {
      calico_export_to_bgp_peers(true);
      reject;
    };  # Only want to export routes for workloads.
  };
  graceful restart time 120;
}

# For peer node2
protocol bgp Mesh_192_168_19_2 from bgp_template {
  neighbor 192.168.19.2 as 64512;
  source address 192.168.19.3;  # The local address we use for the TCP connection
  ipv4 {
    import all;        # Import all routes, since we don't know what the upstream
                       # topology is and therefore have to trust the ToR/RR.
    export filter {
      calico_export_to_bgp_peers(true);
      reject;
    };  # Only want to export routes for workloads.
  };
  graceful restart time 120;
}
NETLAB_EOF
ip netns exec netlab.calico.node.node3 bird -c /run/netlab/calico/bgp/node3.conf -s /run/netlab/calico/bgp/node3.ctl -P /run/netlab/calico/bgp/node3.pid

# Wait for every BGP session to be Established and every route installed (3)
# node1: wait for BGP sessions Mesh_192_168_19_2, Mesh_192_168_19_3
for _ in $(seq 150); do [ "$(birdc -s /run/netlab/calico/bgp/node1.ctl show protocols | grep -c Established)" -ge 2 ] && break; sleep 0.2; done
# node2: wait for BGP sessions Mesh_192_168_19_1, Mesh_192_168_19_3
for _ in $(seq 150); do [ "$(birdc -s /run/netlab/calico/bgp/node2.ctl show protocols | grep -c Established)" -ge 2 ] && break; sleep 0.2; done
# node3: wait for BGP sessions Mesh_192_168_19_1, Mesh_192_168_19_2
for _ in $(seq 150); do [ "$(birdc -s /run/netlab/calico/bgp/node3.ctl show protocols | grep -c Established)" -ge 2 ] && break; sleep 0.2; done

# Start containers (2)
mkdir -p /run/netlab/calico
cat > /run/netlab/calico/containers.json <<'NETLAB_EOF'
{
 "protocol": 1,
 "lab": "calico",
 "pods": [
  {
   "name": "pod1",
   "netns": "netlab.calico.pod.pod1",
   "containers": [
    {
     "name": "web",
     "listen": [
      {
       "port": 8080,
       "protocol": "tcp"
      }
     ]
    }
   ]
  },
  {
   "name": "pod3",
   "netns": "netlab.calico.pod.pod3",
   "containers": [
    {
     "name": "web",
     "listen": [
      {
       "port": 8080,
       "protocol": "tcp"
      }
     ]
    }
   ]
  }
 ]
}
NETLAB_EOF
ip netns exec netlab.calico.fabric python3 /usr/lib/netlab/runtime/netlab-agent.py /run/netlab/calico/containers.json </dev/null >/dev/null 2>>/run/netlab/calico/containers.log &
