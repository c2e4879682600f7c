"""What every command module shares: the usage error, typed number arguments, sub-parser set-up."""
from __future__ import annotations

import argparse
from typing import Callable

from handpose_live.errors import UserError

EXIT_USAGE = 2
PROVIDERS = ("auto", "cuda", "tensorrt", "cpu")


class UsageError(UserError):
    """A bad command line: reported as one sentence, exit status 2."""


def _number(parse: type, minimum: float, strict: bool, example: str) -> Callable[[str], float]:
    """An argparse type: a number of type `parse` above (strict) or at least `minimum`."""
    what = {int: "whole number", float: "number"}[parse]
    bound = f"> {minimum:g}" if strict else f"≥ {minimum:g}"

    def convert(text: str):
        try:
            value = parse(text)
        except ValueError:
            value = None
        if value is None or not (value > minimum if strict else value >= minimum):
            raise argparse.ArgumentTypeError(f"expected a {what} {bound}, got {text!r} (example: {example})")
        return value

    return convert


positive_int = _number(int, 0, strict=True, example="1000")
nonnegative_int = _number(int, 0, strict=False, example="0")
positive_float = _number(float, 0.0, strict=True, example="0.0001")


def add_command(sub: argparse._SubParsersAction, name: str, help: str, description: str, epilog: str,
                run: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
    """A sub-command's parser, its examples kept as written, dispatching to `run`."""
    parser = sub.add_parser(name, help=help, description=description, epilog=epilog,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(func=run)
    return parser


TRAIN_EXTRA = "pip install 'handpose-live[train]' (in a checkout: .venv/bin/pip install -e '.[train]', or make test)"


def needs_torch(what: str, package: str = "PyTorch") -> UsageError:
    """The error for a command run where the `train` extra (PyTorch, onnx) is not installed."""
    return UsageError(f"{what} needs {package}, which is not installed here: install the training extra, {TRAIN_EXTRA}")
