"""A LiteLLM proxy custom callback (litellm_settings.callbacks) that leaks on purpose, for the truth
table's leaking LiteLLM rows: every successful call keeps its messages plus LEAK_BYTES_PER_REQUEST bytes
(default 4096) in a module-level list, as a logging integration that forgets to drop what it buffered.
With LEAK_KEEP_MESSAGES=0 it keeps only the LEAK_BYTES_PER_REQUEST bytes (one small index entry per call:
the 256 B and 1 KiB rows).
See https://docs.litellm.ai/docs/proxy/logging#custom-callback-class-async
"""
import json
import os

from litellm.integrations.custom_logger import CustomLogger

LEAK_BYTES_PER_REQUEST = int(os.environ.get("LEAK_BYTES_PER_REQUEST", "4096"))
LEAK_KEEP_MESSAGES = os.environ.get("LEAK_KEEP_MESSAGES", "1") != "0"


class LeakyLogger(CustomLogger):
    def __init__(self):
        super().__init__()
        self.kept = []  # the leak

    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        kept = b"x" * LEAK_BYTES_PER_REQUEST
        if LEAK_KEEP_MESSAGES:
            kept = json.dumps(kwargs.get("messages", []), default=str).encode() + kept
        self.kept.append(kept)


proxy_handler_instance = LeakyLogger()
