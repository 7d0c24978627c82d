import socket

import pytest

from tests.network_guard import NetworkBlocked


def test_a_connection_off_this_machine_is_refused_loudly():
    with socket.socket() as sock, pytest.raises(NetworkBlocked, match="93.184.216.34"):
        sock.connect(("93.184.216.34", 443))


def test_a_name_lookup_off_this_machine_is_refused_loudly():
    with pytest.raises(NetworkBlocked, match="api.openai.com"):
        socket.getaddrinfo("api.openai.com", 443)


def test_loopback_and_unix_sockets_stay_open(tmp_path):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
    assert socket.getaddrinfo("localhost", 80)
    with socket.socket(socket.AF_UNIX) as unix:
        unix.bind(str(tmp_path / "s"))
