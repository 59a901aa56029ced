"""A LiteLLM proxy custom callback (litellm_settings.callbacks) that leaks on purpose, for the truth
table's leaking LiteLLM row: every successful call keeps its messages plus LEAK_BYTES_PER_REQUEST bytes
(default 4096) in a module-level list, as a logging integration that forgets to drop what it buffered.
See https://docs.litellm.ai/docs/proxy/logging#custom-callback-class-async
"""
import json
import os

from litellm.integrations.custom_logger import CustomLogger

LEAK_BYTES_PER_REQUEST = int(os.environ.get("LEAK_BYTES_PER_REQUEST", "4096"))


class LeakyLogger(CustomLogger):
    def __init__(self):
        super().__init__()
        self.kept = []  # the leak

    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        messages = json.dumps(kwargs.get("messages", []), default=str).encode()
        self.kept.append(messages + b"x" * LEAK_BYTES_PER_REQUEST)


proxy_handler_instance = LeakyLogger()
