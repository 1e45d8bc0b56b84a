"""How many subscribers one Janus forwards a 720p video to before frames get lost.

One synthetic publisher (aiortc, 1280x720 at 30 fps, VP8, a moving pattern) publishes into a
VideoRoom of a Janus started with the portal's configuration; synthetic subscribers (aiortc)
are added in steps (1, 2, 4, 8, 12, 16, 24, 32, 40). After each step the benchmark waits for
the new subscribers' first frames, then measures for a few seconds:

- frames lost: per subscriber, the frames the RTP timestamps say were sent (30 fps: +3000 on
  the 90 kHz clock per frame) minus the complete frames its jitter buffer assembled; summed
  over the subscribers of the step;
- Janus' CPU (``/proc/<pid>/stat``, user + system) per forwarded stream, and its ratio to the
  step with one subscriber; the benchmark process' own CPU, to tell who was the bottleneck.

Subscribers do not decode (a counting stand-in replaces aiortc's VP8 decoder): what is
measured is Janus' forwarding, not Python's decoding. Bounded: stops at the first step with
more than 1 % of frames lost, at 40 subscribers, or after about 3 minutes. Loopback only (the
machine's own addresses; Janus offers no loopback candidates).

    uv run python benchmarks/media_capacity.py [--max-subscribers 40] [--window 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

if not os.environ.get("DATABASE_URL"):  # Django is set up only to write Janus' configuration
    _tmp_db = Path(tempfile.gettempdir()) / f"portal-bench-capacity-{os.getpid()}.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{_tmp_db}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

import aiortc.rtcrtpreceiver  # noqa: E402
import av  # noqa: E402
from aiortc import RTCPeerConnection, RTCSessionDescription, VideoStreamTrack  # noqa: E402

from meetings.backends.janus_config import derive_secret  # noqa: E402
from tests.janus_process import start_janus  # noqa: E402

WIDTH, HEIGHT, FPS = 1280, 720, 30
TICKS_PER_FRAME = 90_000 // FPS
STEPS = (1, 2, 4, 8, 12, 16, 24, 32, 40)
LOSS_LIMIT = 0.01
TIME_LIMIT_SECONDS = 180
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- what is sent and what is counted -----------------------------------------------------
class SyntheticVideo(VideoStreamTrack):
    """1280x720 at 30 fps: a bright bar moving across a gradient (the encoder has motion to
    code); 30 frames are prepared once and repeated."""

    def __init__(self) -> None:
        super().__init__()
        self.frames = []
        gradient = bytes((16 + x * 200 // WIDTH) for x in range(WIDTH))
        for index in range(FPS):
            left = index * (WIDTH // FPS)
            row = gradient[:left] + b"\xeb" * 80 + gradient[left + 80 :]
            frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
            luma, *chroma = frame.planes
            luma.update((row[: luma.line_size].ljust(luma.line_size, b"\x10")) * HEIGHT)
            for plane in chroma:
                plane.update(b"\x80" * plane.buffer_size)
            self.frames.append(frame)
        self.sent = 0

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = self.frames[self.sent % FPS]
        frame.pts, frame.time_base = pts, time_base
        self.sent += 1
        return frame


class CountingDecoder:
    """Stands in for aiortc's VP8 decoder: hands on the RTP timestamp of each complete frame."""

    def decode(self, encoded_frame) -> list[int]:  # noqa: ANN001
        return [encoded_frame.timestamp]


aiortc.rtcrtpreceiver.get_decoder = lambda codec: CountingDecoder()


class Subscriber:
    def __init__(self) -> None:
        self.pc = RTCPeerConnection()
        self.frames = 0
        self.last_timestamp: int | None = None
        self.first = asyncio.Event()

        @self.pc.on("track")
        def on_track(track) -> None:  # noqa: ANN001
            asyncio.ensure_future(self.count(track))

    async def count(self, track) -> None:  # noqa: ANN001
        while True:
            try:
                timestamp = await track.recv()
            except Exception:  # noqa: BLE001 - the track ended
                return
            self.frames += 1
            self.last_timestamp = timestamp
            self.first.set()

    def mark(self) -> tuple[int, int]:
        return self.frames, self.last_timestamp or 0


# --- Janus over HTTP (the portal's own secret) ----------------------------------------------
class Janus:
    def __init__(self, api_url: str, secret: str, loop: asyncio.AbstractEventLoop) -> None:
        self.api, self.secret, self.loop = api_url, secret, loop
        self.events: dict[int, asyncio.Queue] = {}
        self.session = self.post(self.api, {"janus": "create"})["data"]["id"]
        self.running = True
        threading.Thread(target=self.poll, daemon=True).start()

    def post(self, url: str, body: dict) -> dict:
        data = json.dumps({**body, "apisecret": self.secret, "transaction": secrets.token_hex(6)})
        request = urllib.request.Request(url, data.encode(), {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (loopback)
            reply = json.loads(answer.read())
        if reply.get("janus") == "error":
            raise RuntimeError(reply["error"])
        return reply

    def poll(self) -> None:
        url = f"{self.api}/{self.session}?maxev=20&apisecret={self.secret}"
        while self.running:
            try:
                with urllib.request.urlopen(url, timeout=40) as answer:  # noqa: S310
                    batch = json.loads(answer.read())
            except OSError:
                continue
            for event in batch if isinstance(batch, list) else [batch]:
                queue = self.events.get(event.get("sender"))
                if queue is not None and event.get("janus") in ("event", "webrtcup", "media"):
                    self.loop.call_soon_threadsafe(queue.put_nowait, event)

    async def attach(self) -> int:
        reply = await asyncio.to_thread(
            self.post,
            f"{self.api}/{self.session}",
            {"janus": "attach", "plugin": "janus.plugin.videoroom"},
        )
        handle = reply["data"]["id"]
        self.events[handle] = asyncio.Queue()
        return handle

    async def message(self, handle: int, body: dict, jsep: dict | None = None) -> dict:
        payload = {"janus": "message", "body": body, **({"jsep": jsep} if jsep else {})}
        return await asyncio.to_thread(self.post, f"{self.api}/{self.session}/{handle}", payload)

    async def event(self, handle: int, *, timeout: float = 30) -> dict:
        return await asyncio.wait_for(self.events[handle].get(), timeout)


def cpu_seconds(pid: int | str) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


# --- the run ----------------------------------------------------------------------------------
async def publish(janus: Janus, room: int) -> tuple[RTCPeerConnection, SyntheticVideo, int]:
    handle = await janus.attach()
    await janus.message(handle, {"request": "join", "ptype": "publisher", "room": room, "id": 1})
    await janus.event(handle)  # joined
    pc = RTCPeerConnection()
    track = SyntheticVideo()
    pc.addTransceiver(track, direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    offer = {"type": "offer", "sdp": pc.localDescription.sdp}
    await janus.message(handle, {"request": "configure", "audio": False, "video": True}, offer)
    while True:
        event = await janus.event(handle)
        if "jsep" in event:
            await pc.setRemoteDescription(RTCSessionDescription(**event["jsep"]))
            break
    while (await janus.event(handle)).get("janus") != "webrtcup":
        pass  # subscribers may join once Janus receives the publisher's media
    return pc, track, handle


async def subscribe(janus: Janus, room: int) -> Subscriber:
    handle = await janus.attach()
    subscriber = Subscriber()
    await janus.message(
        handle, {"request": "join", "ptype": "subscriber", "room": room, "streams": [{"feed": 1}]}
    )
    while True:
        event = await janus.event(handle)
        if "jsep" in event:
            break
        if "error" in event.get("plugindata", {}).get("data", {}):
            raise RuntimeError(event["plugindata"]["data"]["error"])
    await subscriber.pc.setRemoteDescription(RTCSessionDescription(**event["jsep"]))
    await subscriber.pc.setLocalDescription(await subscriber.pc.createAnswer())
    answer = {"type": "answer", "sdp": subscriber.pc.localDescription.sdp}
    await janus.message(handle, {"request": "start", "room": room}, answer)
    return subscriber


async def run(max_subscribers: int, window: float) -> list[dict]:
    started = time.monotonic()
    server = start_janus(room_key="bench-room-key", api_secret="bench-secret")
    loop = asyncio.get_running_loop()
    results: list[dict] = []
    pcs: list[RTCPeerConnection] = []
    try:
        janus = Janus(server.api_url, server.api_secret, loop)
        room = secrets.randbelow(2**40) + 1
        created = janus.post(
            f"{janus.api}/{janus.session}",
            {"janus": "attach", "plugin": "janus.plugin.videoroom"},
        )["data"]["id"]
        janus.post(
            f"{janus.api}/{janus.session}/{created}",
            {
                "janus": "message",
                "body": {
                    "request": "create",
                    "room": room,
                    "admin_key": derive_secret(server.room_key, "videoroom-admin-key"),
                    "publishers": 1,
                    "bitrate": 1_500_000,
                    "videocodec": "vp8",
                    "permanent": False,
                },
            },
        )
        publisher_pc, track, _handle = await publish(janus, room)
        pcs.append(publisher_pc)
        subscribers: list[Subscriber] = []
        for step in (s for s in STEPS if s <= max_subscribers):
            while len(subscribers) < step:
                subscriber = await subscribe(janus, room)
                subscribers.append(subscriber)
                pcs.append(subscriber.pc)
            await asyncio.wait_for(
                asyncio.gather(*(s.first.wait() for s in subscribers)), timeout=30
            )
            await asyncio.sleep(2)  # settle: bitrate ramp-up, retransmissions of the join
            before = [s.mark() for s in subscribers]
            janus_cpu, own_cpu, sent = (
                cpu_seconds(server.process.pid),
                cpu_seconds("self"),
                track.sent,
            )
            clock = time.monotonic()
            await asyncio.sleep(window)
            elapsed = time.monotonic() - clock
            janus_cpu = cpu_seconds(server.process.pid) - janus_cpu
            own_cpu = cpu_seconds("self") - own_cpu
            after = [s.mark() for s in subscribers]
            expected = received = 0
            for (frames0, ts0), (frames1, ts1) in zip(before, after, strict=True):
                received += frames1 - frames0
                expected += max(0, (ts1 - ts0) // TICKS_PER_FRAME)
            lost = max(0, expected - received)
            results.append(
                {
                    "subscribers": step,
                    "published_fps": (track.sent - sent) / elapsed,
                    "expected": expected,
                    "lost": lost,
                    "loss": lost / expected if expected else 1.0,
                    "janus_cpu": janus_cpu / elapsed,
                    "janus_cpu_per_stream": janus_cpu / elapsed / step,
                    "own_cpu": own_cpu / elapsed,
                }
            )
            print_row(results[-1], results[0])
            if results[-1]["loss"] > LOSS_LIMIT:
                print(f"stopped: more than {LOSS_LIMIT:.0%} of frames lost")
                break
            if time.monotonic() - started > TIME_LIMIT_SECONDS:
                print("stopped: time limit")
                break
    finally:
        for pc in pcs:
            await pc.close()
        janus.running = False
        server.stop()
    return results


def print_row(row: dict, first: dict) -> None:
    ratio = row["janus_cpu_per_stream"] / first["janus_cpu_per_stream"]
    print(
        f"| {row['subscribers']} | {row['published_fps']:.1f} | {row['lost']} of "
        f"{row['expected']} ({row['loss']:.2%}) | {row['janus_cpu']:.1%} | "
        f"{row['janus_cpu_per_stream']:.2%} | {ratio:.2f} | {row['own_cpu']:.1%} |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-subscribers", type=int, default=40)
    parser.add_argument("--window", type=float, default=5.0, help="seconds measured per step")
    options = parser.parse_args()
    print(
        f"one 720p publisher ({WIDTH}x{HEIGHT} at {FPS} fps, VP8) through Janus, "
        f"{os.cpu_count()} cores"
    )
    print(
        "| subscribers | published fps | frames lost | Janus CPU | Janus CPU per stream "
        "| ratio to 1 | benchmark CPU |"
    )
    print("|---|---|---|---|---|---|---|")
    asyncio.run(run(options.max_subscribers, options.window))


if __name__ == "__main__":
    main()
