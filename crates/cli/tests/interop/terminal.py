"""Runs a command on a real pseudo-terminal and answers its questions, as a person would.

    python3 terminal.py MODE -- COMMAND [ARGS...]

MODE is one of:
    confirm-group   wait for "type group N", read the recovery secret shown, type group N back
    wrong-group     answer every "type group N" with a wrong group
    answer:TEXT     wait for "Type yes to go ahead:" and type TEXT

Prints everything the command wrote to the terminal, and exits with the command's status.
"""
import os
import pty
import re
import sys
import time

SECRET = re.compile(rb"[A-Z2-7]{4}(?:-[A-Z2-7]{4}){12}")
GROUP = re.compile(rb"type group (\d+) of 13")
CONFIRM = b"Type yes to go ahead: "


def main():
    mode = sys.argv[1]
    command = sys.argv[sys.argv.index("--") + 1 :]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    transcript = b""
    answered = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        transcript += chunk
        asked = GROUP.findall(transcript)
        if mode in ("confirm-group", "wrong-group") and len(asked) > answered:
            group = int(asked[-1])
            secret = SECRET.search(transcript).group(0).split(b"-")
            reply = secret[group - 1] if mode == "confirm-group" else b"ZZZZ"
            os.write(fd, reply + b"\r")
            answered += 1
        elif mode.startswith("answer:") and transcript.count(CONFIRM) > answered:
            os.write(fd, mode[len("answer:") :].encode() + b"\r")
            answered += 1
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(transcript.decode("utf-8", "replace"))
    sys.exit(os.waitstatus_to_exitcode(status))


main()
