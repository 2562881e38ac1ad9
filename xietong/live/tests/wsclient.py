"""channels.testing.WebsocketCommunicator without daphne installed.

``channels.testing`` imports daphne at package import only for ChannelsLiveServerTestCase,
which these tests do not use (the browser tests and the benchmark run uvicorn, the server
the product ships with). Daphne is not a dependency, so the import is satisfied by a
placeholder that exists only while ``channels.testing`` loads.
"""

from __future__ import annotations

import importlib.util
import sys
import types


def _load():
    if importlib.util.find_spec("daphne") is not None:
        from channels.testing import WebsocketCommunicator

        return WebsocketCommunicator
    placeholder = types.ModuleType("daphne")
    testing = types.ModuleType("daphne.testing")
    testing.DaphneProcess = None
    placeholder.testing = testing
    sys.modules["daphne"], sys.modules["daphne.testing"] = placeholder, testing
    try:
        from channels.testing import WebsocketCommunicator
    finally:
        del sys.modules["daphne"], sys.modules["daphne.testing"]
    return WebsocketCommunicator


WebsocketCommunicator = _load()
