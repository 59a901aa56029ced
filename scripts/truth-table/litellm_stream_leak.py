"""A LiteLLM proxy hook (litellm_settings.callbacks) that leaks only on cancelled streams, for the truth
table's stream rows: every streamed call is registered with its messages plus STREAM_LEAK_BYTES bytes
(default 4096) when it starts, and dropped after its last chunk. A client that goes away in mid-stream
cancels the generator at its `yield`, so the line after the loop never runs and the entry stays: the shape
of a tracker that cleans up only on the happy path. A stream that ends is cleaned up.
See https://docs.litellm.ai/docs/proxy/call_hooks (async_post_call_streaming_iterator_hook).
"""
import json
import os

from litellm.integrations.custom_logger import CustomLogger

STREAM_LEAK_BYTES = int(os.environ.get("STREAM_LEAK_BYTES", "4096"))


class StreamTracker(CustomLogger):
    def __init__(self):
        super().__init__()
        self.live = {}  # the leak, for cancelled streams

    async def async_post_call_streaming_iterator_hook(self, user_api_key_dict, response, request_data):
        key = id(request_data)
        messages = json.dumps(request_data.get("messages", []), default=str).encode()
        self.live[key] = messages + b"x" * STREAM_LEAK_BYTES
        async for chunk in response:
            yield chunk
        self.live.pop(key, None)  # not reached when the client went away


proxy_handler_instance = StreamTracker()
