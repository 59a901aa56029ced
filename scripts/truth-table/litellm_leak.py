"""A LiteLLM proxy custom callback (litellm_settings.callbacks) that leaks on purpose, for the truth
table's leaking LiteLLM rows: every successful call keeps its messages plus LEAK_BYTES_PER_REQUEST bytes
(default 4096) in a module-level list, as a logging integration that forgets to drop what it buffered.
With LEAK_KEEP_MESSAGES=0 it keeps only the LEAK_BYTES_PER_REQUEST bytes (one small index entry per call:
the 256 B and 1 KiB rows). With LEAK_ON=failure it keeps them only in async_log_failure_event, as an
integration that buffers failed calls for a report it never sends (the failure-path rows: a happy-path
scenario never reaches it, one whose calls fail upstream and are retried or fall back does).
See https://docs.litellm.ai/docs/proxy/logging#custom-callback-class-async
"""
import json
import os

from litellm.integrations.custom_logger import CustomLogger

LEAK_BYTES_PER_REQUEST = int(os.environ.get("LEAK_BYTES_PER_REQUEST", "4096"))
LEAK_KEEP_MESSAGES = os.environ.get("LEAK_KEEP_MESSAGES", "1") != "0"
LEAK_ON = os.environ.get("LEAK_ON", "success")


class LeakyLogger(CustomLogger):
    def __init__(self):
        super().__init__()
        self.kept = []  # the leak

    def keep(self, kwargs):
        kept = b"x" * LEAK_BYTES_PER_REQUEST
        if LEAK_KEEP_MESSAGES:
            kept = json.dumps(kwargs.get("messages", []), default=str).encode() + kept
        self.kept.append(kept)

    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        if LEAK_ON == "success":
            self.keep(kwargs)

    async def async_log_failure_event(self, kwargs, response_obj, start_time, end_time):
        if LEAK_ON == "failure":
            self.keep(kwargs)


proxy_handler_instance = LeakyLogger()
