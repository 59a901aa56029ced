"""The official `openai` Python SDK against `leaksoak fake-llm`: a real client nobody here wrote.

Run by scripts/test with LEAKSOAK_BIN pointing at the built binary.
"""

import os
import subprocess

import openai
import pytest


@pytest.fixture(scope="module")
def base_url():
    binary = os.environ.get("LEAKSOAK_BIN", "target/debug/leaksoak")
    proc = subprocess.Popen(
        [binary, "fake-llm", "--listen", "127.0.0.1:0", "--stream-chunks", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = proc.stdout.readline().strip()
        prefix = "fake-llm listening on "
        assert line.startswith(prefix), f"unexpected first line: {line!r}"
        yield line[len(prefix):]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def client(base_url):
    return openai.OpenAI(base_url=base_url, api_key="sk-test", max_retries=0, timeout=10)


def test_chat_completion(client):
    resp = client.chat.completions.create(
        model="gpt-3.5-turbo", messages=[{"role": "user", "content": "hello"}]
    )
    assert resp.object == "chat.completion"
    assert resp.id.startswith("chatcmpl-")
    assert resp.model == "gpt-3.5-turbo"
    assert resp.choices[0].message.role == "assistant"
    assert resp.choices[0].message.content
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage.total_tokens == resp.usage.prompt_tokens + resp.usage.completion_tokens


def test_streamed_chat(client):
    stream = client.chat.completions.create(
        model="gpt-3.5-turbo", messages=[{"role": "user", "content": "hello"}], stream=True
    )
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text.startswith("This is a response")
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert len(chunks) == 1 + 5 + 1


def test_completion(client):
    resp = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="hello")
    assert resp.object == "text_completion"
    assert resp.choices[0].text


def test_streamed_completion(client):
    chunks = list(client.completions.create(model="m", prompt="hello", stream=True))
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_embedding(client):
    resp = client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    assert len(resp.data) == 2
    assert len(resp.data[0].embedding) == 16
    assert all(isinstance(x, float) for x in resp.data[0].embedding)


def test_models(client):
    ids = [m.id for m in client.models.list()]
    assert "error-500" in ids and "error-429" in ids


def test_error_500_model(client):
    with pytest.raises(openai.InternalServerError) as err:
        client.chat.completions.create(model="error-500", messages=[{"role": "user", "content": "x"}])
    assert err.value.status_code == 500


def test_error_429_model(client):
    with pytest.raises(openai.RateLimitError) as err:
        client.chat.completions.create(model="error-429", messages=[{"role": "user", "content": "x"}])
    assert err.value.status_code == 429
