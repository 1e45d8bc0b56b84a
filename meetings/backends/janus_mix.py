"""Janus' per-stream recordings (``.mjr``) into one WebM file: a grid of the videos and the
mixed audio (docs/ARCHITECTURE.md, backends).

``janus-pp-rec`` turns each stream into a playable file; its JSON header says when the stream's
first packet arrived, so every stream is placed on one common time line; ``ffmpeg`` stacks the
videos into a grid (``xstack``) and mixes the voices (``amix``) into VP8 and Opus.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

PP_REC = "/usr/bin/janus-pp-rec"
FFMPEG = "/usr/bin/ffmpeg"
TILE_WIDTH, TILE_HEIGHT = 320, 180
# videoroom-<room>-user-<feed>-<timestamp>-<audio|video>[-<mid>].mjr
NAME = re.compile(r"-user-(?P<feed>\d+)-(?P<stamp>\d+)-(?P<kind>audio|video)")


class MixError(Exception):
    """A conversion step failed (the message holds no personal data)."""


@dataclass(frozen=True)
class Stream:
    path: Path
    kind: str  # "audio" or "video"
    feed: str
    start_us: int


def _run(command: list[str], *, timeout: float) -> str:
    try:
        done = subprocess.run(  # noqa: S603 (fixed binaries, paths we made)
            command, capture_output=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise MixError(f"{Path(command[0]).name}: {type(error).__name__}") from error
    if done.returncode != 0:
        raise MixError(f"{Path(command[0]).name} exited with {done.returncode}")
    return done.stdout.decode(errors="replace")


def _header(path: Path) -> dict:
    text = _run([PP_REC, "--json", "--disable-colors", "-d", "0", str(path)], timeout=60)
    start = text.find("{")
    try:
        return json.loads(text[start:]) if start >= 0 else {}
    except ValueError:
        return {}


def read_streams(files: list[Path]) -> list[Stream]:
    streams = []
    for path in files:
        match = NAME.search(path.name)
        if match is None or path.stat().st_size == 0:
            continue
        header = _header(path)
        # "u": when the first packet was written, "s": when the file was created (µs)
        start = int(header.get("u") or header.get("s") or int(match["stamp"]))
        kind = "audio" if header.get("t") == "a" or match["kind"] == "audio" else "video"
        streams.append(Stream(path=path, kind=kind, feed=match["feed"], start_us=start))
    return streams


def _grid(count: int) -> tuple[int, int]:
    columns = math.ceil(math.sqrt(count))
    return columns, math.ceil(count / columns)


def mix_recording(files: list[Path], *, into: Path, timeout: float = 3600) -> Path:
    """Convert and mix ``files`` into ``into/recording.webm``; return its path."""
    into.mkdir(parents=True, exist_ok=True)
    streams = read_streams(files)
    if not streams:
        raise MixError("no recorded streams")
    origin = min(stream.start_us for stream in streams)
    inputs: list[str] = []
    videos: list[tuple[int, Stream]] = []
    audios: list[tuple[int, Stream]] = []
    for number, stream in enumerate(sorted(streams, key=lambda s: (s.feed, s.kind))):
        converted = into / f"stream-{number}.{'opus' if stream.kind == 'audio' else 'webm'}"
        _run(
            [PP_REC, "--disable-colors", "-d", "0", str(stream.path), str(converted)],
            timeout=timeout,
        )
        if not converted.exists() or converted.stat().st_size == 0:
            continue
        offset = (stream.start_us - origin) / 1_000_000
        index = len(inputs) // 4
        inputs += ["-itsoffset", f"{offset:.3f}", "-i", str(converted)]
        (audios if stream.kind == "audio" else videos).append((index, stream))
    if not videos and not audios:
        raise MixError("no stream could be converted")

    filters: list[str] = []
    maps: list[str] = []
    if videos:
        for position, (index, _stream) in enumerate(videos):
            filters.append(
                f"[{index}:v]scale={TILE_WIDTH}:{TILE_HEIGHT}:force_original_aspect_ratio=decrease,"
                f"pad={TILE_WIDTH}:{TILE_HEIGHT}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25[v{position}]"
            )
        if len(videos) == 1:
            filters.append("[v0]null[video]")
        else:
            columns, _rows = _grid(len(videos))
            layout = "|".join(
                f"{(i % columns) * TILE_WIDTH}_{(i // columns) * TILE_HEIGHT}"
                for i in range(len(videos))
            )
            labels = "".join(f"[v{i}]" for i in range(len(videos)))
            filters.append(f"{labels}xstack=inputs={len(videos)}:layout={layout}:fill=black[video]")
        maps += ["-map", "[video]", "-c:v", "libvpx", "-b:v", "1M", "-deadline", "realtime"]
        maps += ["-cpu-used", "8"]
    if audios:
        labels = "".join(f"[{index}:a]" for index, _stream in audios)
        filters.append(
            f"{labels}amix=inputs={len(audios)}:duration=longest:normalize=0[audio]"
            if len(audios) > 1
            else f"{labels}anull[audio]"
        )
        maps += ["-map", "[audio]", "-c:a", "libopus", "-b:a", "64k"]
    output = into / "recording.webm"
    _run(
        [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *inputs]
        + ["-filter_complex", ";".join(filters), *maps, "-f", "webm", str(output)],
        timeout=timeout,
    )
    return output


def probe(path: Path) -> dict:
    """Streams and duration of a media file (``ffprobe``), to verify what was stored."""
    text = _run(
        [
            "/usr/bin/ffprobe",
            "-v",
            "error",
            "-show_format",
            "-show_streams",
            "-of",
            "json",
            str(path),
        ],
        timeout=120,
    )
    try:
        return json.loads(text)
    except ValueError as error:
        raise MixError("ffprobe gave no answer") from error
