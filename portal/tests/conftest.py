import socket

import pytest


@pytest.fixture
def listening_port():
    """A loopback port something listens on, for as long as the test runs."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


@pytest.fixture
def closed_port():
    """A loopback port nothing listens on: bound by the kernel's choice, then released."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
    return port
