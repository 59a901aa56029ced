"""A minimal OpenAI-compatible chat endpoint as a raw ASGI app: the truth table's uvicorn row and the
process-tree test (tests/python/test_process_tree.py).

Run under uvicorn with several workers. LEAK_BYTES_PER_REQUEST (default 0) keeps that many bytes per
request alive in a module-level list: the per-request object kept alive of a real leak, in every worker.
"""
import json
import os
import time

LEAK_BYTES_PER_REQUEST = int(os.environ.get("LEAK_BYTES_PER_REQUEST", "0"))
KEPT = []  # the leak: grows by one object per request when LEAK_BYTES_PER_REQUEST > 0


def completion(model):
    return {
        "id": "chatcmpl-truth",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok " * 20}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30},
    }


def chunk(model, content, finish=None):
    delta = {"content": content} if content is not None else {}
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    body = {"id": "chatcmpl-truth", "object": "chat.completion.chunk", "created": 0, "model": model, "choices": [choice]}
    return ("data: " + json.dumps(body) + "\n\n").encode()


async def read_body(receive):
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["path"] == "/health":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})
        return
    request = json.loads(await read_body(receive) or b"{}")
    if LEAK_BYTES_PER_REQUEST:
        KEPT.append(json.dumps(request).encode() + b"x" * LEAK_BYTES_PER_REQUEST)
    model = request.get("model", "gpt-3.5-turbo")
    if request.get("stream"):
        headers = [(b"content-type", b"text/event-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for i in range(10):
            await send({"type": "http.response.body", "body": chunk(model, f"tok{i} "), "more_body": True})
        await send({"type": "http.response.body", "body": chunk(model, None, "stop"), "more_body": True})
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})
    else:
        body = json.dumps(completion(model)).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})
