"""A user's hand profile: the shape factors calibration found (fit/calibrate.py), saved as JSON in
the user's config folder (or any file) and loaded by the live app and the API."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from handpose_live.errors import UserError
from handpose_live.hand.shape import FACTOR_NAMES, ShapeFactors

PROFILE_VERSION = 1


class ProfileError(UserError):
    """A profile file that is missing, unreadable or not a handpose-live profile."""


@dataclass(frozen=True)
class HandProfile:
    """A calibrated hand: its name, shape factors and where they came from."""

    name: str
    factors: ShapeFactors
    frames: int = 0  # frames the calibration used
    source: str = ""  # the camera or recording it was made on
    created: str = ""  # ISO date

    def to_dict(self) -> dict:
        """The JSON form."""
        return {"handpose_live_profile": PROFILE_VERSION, "name": self.name,
                "factors": dict(zip(FACTOR_NAMES, self.factors.as_array().round(4).tolist())),
                "frames": self.frames, "source": self.source, "created": self.created}


def default_profile_path() -> Path:
    """Where a profile lives unless --profile says otherwise: handpose-live/profile.json in $XDG_CONFIG_HOME
    (or ~/.config)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "handpose-live" / "profile.json"


def save_profile(profile: HandProfile, path: Path) -> None:
    """Write the profile (its folder made if missing), through a temporary file so a crash leaves the old one."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(profile.to_dict(), indent=1) + "\n")
        os.replace(tmp, path)
    except OSError as e:
        raise ProfileError(f"cannot write the profile {path} ({e.strerror or e})") from None


def load_profile(path: Path) -> HandProfile:
    """The profile in `path`; ProfileError with one sentence when it cannot be used."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ProfileError(f"profile {path} does not exist (make one with `handpose-live calibrate`)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ProfileError(f"profile {path} cannot be read ({type(e).__name__})") from None
    try:
        if data.get("handpose_live_profile") != PROFILE_VERSION:
            raise ValueError("version")
        factors = ShapeFactors.from_array([data["factors"][n] for n in FACTOR_NAMES])
        return HandProfile(str(data.get("name", path.stem)), factors, int(data.get("frames", 0)),
                           str(data.get("source", "")), str(data.get("created", "")))
    except (AttributeError, KeyError, TypeError, ValueError):
        raise ProfileError(f"{path} is not a handpose-live hand profile") from None
