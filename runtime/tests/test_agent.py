import json
import socket
import unittest

from helpers import IS_ROOT, TestNamespace, load
from shapes import shape_problems

agent = load("netlab-agent")
PEER = ("10.244.0.2", 40000)


class Answers(unittest.TestCase):
    """The agent answers like the e2e tests' netexec."""

    def test_the_verbs(self):
        self.assertEqual(agent.answer("hostname", "pod1", "web", PEER), "pod1")
        self.assertEqual(agent.answer("clientip", "pod1", "web", PEER), "10.244.0.2:40000")
        self.assertEqual(agent.answer("container", "pod1", "web", PEER), "web")
        self.assertEqual(agent.answer("echo hi there", "pod1", "web", PEER), "hi there")
        self.assertEqual(json.loads(agent.answer("identify", "pod1", "web", PEER)), {"hostname": "pod1", "clientip": "10.244.0.2:40000", "container": "web"})

    def test_anything_else_is_the_hostname(self):
        self.assertEqual(agent.answer("", "pod1", "web", PEER), "pod1")
        self.assertEqual(agent.answer("what?", "pod1", "web", PEER), "pod1")

    def test_http(self):
        reply = agent.answer_http("GET /echo?msg=a%20b HTTP/1.1", "pod1", "web", PEER)
        self.assertTrue(reply.startswith("HTTP/1.1 200 OK\r\n"))
        self.assertTrue(reply.endswith("\r\n\r\na b"))
        self.assertIn("Content-Length: 3\r\n", reply)
        self.assertTrue(agent.answer_http("GET / HTTP/1.0", "pod1", "web", PEER).endswith("pod1"))


class EchoServer(unittest.TestCase):
    """Any other HTTP request: ingress-conformance-echo's JSON of what arrived."""

    REQUEST = b"POST /foo/bar?x=1 HTTP/1.1\r\nHost: foo.bar.com\r\nX-Forwarded-For: 1.2.3.4\r\nx-forwarded-for: 5.6.7.8\r\nContent-Length: 5\r\n\r\nhello"

    def test_the_request_comes_back_as_json(self):
        reply = agent.echo_http(self.REQUEST, "web-0", "server", PEER)
        self.assertTrue(reply.startswith("HTTP/1.1 200 OK\r\n"))
        body = json.loads(reply.split("\r\n\r\n", 1)[1])
        self.assertEqual(body["path"], "/foo/bar")
        self.assertEqual(body["query"], "x=1")
        self.assertEqual(body["host"], "foo.bar.com")
        self.assertEqual(body["method"], "POST")
        self.assertEqual(body["proto"], "HTTP/1.1")
        self.assertEqual(body["pod"], "web-0")
        # Grouped by canonical name, in order, as Go's http.Header holds them.
        self.assertEqual(body["headers"]["X-Forwarded-For"], ["1.2.3.4", "5.6.7.8"])

    def test_it_sets_the_response_headers_x_echo_set_header_asks_for_and_nothing_that_ends_a_line(self):
        request = b"GET / HTTP/1.1\r\nHost: a\r\nX-Echo-Set-Header: X-Header-Add:some-other-value,Some-Other-Header:val\r\n\r\n"
        head = agent.echo_http(request, "web-0", "server", PEER).split("\r\n\r\n", 1)[0].split("\r\n")
        self.assertIn("X-Header-Add: some-other-value", head)
        self.assertIn("Some-Other-Header: val", head)
        hostile = b"GET / HTTP/1.1\r\nX-Echo-Set-Header: Bad Name:x,Set-Cookie:\x00y,Ok:fine\r\n\r\n"
        head = agent.echo_http(hostile, "web-0", "server", PEER).split("\r\n\r\n", 1)[0].split("\r\n")
        self.assertEqual([h for h in head if h.startswith(("Bad", "Set-Cookie", "Ok"))], ["Ok: fine"])

    def test_a_request_is_complete_with_its_body_and_bounded(self):
        self.assertFalse(agent.http_request_complete(b"GET / HTTP/1.1\r\nHost: a\r\n"))
        self.assertTrue(agent.http_request_complete(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        self.assertFalse(agent.http_request_complete(self.REQUEST[:-2]))
        self.assertTrue(agent.http_request_complete(self.REQUEST))
        self.assertTrue(agent.http_request_complete(b"POST / HTTP/1.1\r\nContent-Length: 99999999\r\n" + b"x" * agent.MAX_HTTP_REQUEST))

    def test_netexec_paths_keep_their_answers(self):
        self.assertTrue(agent.netexec_path("GET /hostname HTTP/1.1"))
        self.assertTrue(agent.netexec_path("GET /echo?msg=a HTTP/1.1"))
        self.assertFalse(agent.netexec_path("GET / HTTP/1.1"))
        self.assertFalse(agent.netexec_path("POST /hostname HTTP/1.1"))


class HealthServer(unittest.TestCase):
    """kube-proxy's service health server (pkg/proxy/healthcheck/service_health.go)."""

    def check(self, n):
        return {"netns": "x", "port": 30001, "namespace": "default", "name": "web", "localEndpoints": n}

    def test_200_with_local_endpoints_503_without(self):
        ok = agent.answer_health(self.check(2))
        self.assertTrue(ok.startswith("HTTP/1.1 200 OK\r\n"))
        self.assertIn("Content-Type: application/json\r\n", ok)
        self.assertIn("X-Content-Type-Options: nosniff\r\n", ok)
        body = json.loads(ok.split("\r\n\r\n", 1)[1])
        self.assertEqual(body, {"service": {"namespace": "default", "name": "web"}, "localEndpoints": 2, "serviceProxyHealthy": True})
        self.assertTrue(agent.answer_health(self.check(0)).startswith("HTTP/1.1 503 Service Unavailable\r\n"))


@unittest.skipUnless(IS_ROOT, "needs root to make namespaces")
class SocketsLiveInTheirPods(unittest.TestCase):
    def setUp(self):
        self.pods = [TestNamespace("pod.a"), TestNamespace("pod.b")]
        for p in self.pods:
            self.addCleanup(p.remove)
            p.ip("link", "set", "lo", "up")

    def test_each_pod_gets_its_own_socket_on_the_same_port(self):
        config = {"protocol": 1, "lab": "pytest", "pods": [{"name": f"p{i}", "netns": p.name, "containers": [{"name": "c", "listen": [{"port": 8080, "protocol": "tcp"}]}]} for i, p in enumerate(self.pods)]}
        self.assertEqual(shape_problems("agent.config", config), [])
        runtime = agent.Runtime(config)
        sockets = [key.fileobj for key in runtime.sel.get_map().values()]
        self.addCleanup(lambda: [s.close() for s in sockets])
        self.assertEqual(len(sockets), 2)  # the same port twice: only possible in two namespaces
        # And the agent is back home: a socket it makes now is not in a pod.
        home = socket.socket()
        home.bind(("127.0.0.1", 8080))
        home.close()


if __name__ == "__main__":
    unittest.main()
