"""subprocess.Popen and os.system on goodbot, where WASI has no processes.

Commands run through goodbot's process interface (the _goodbot_process
module): the run's shell starts them under the run's policy and limits, and
the caller waits for each to end. So a Popen runs its command to the end
when it starts, or, when its stdin is a PIPE, once that input is complete
(communicate(), or closing stdin, or wait()); its stdout and stderr PIPEs
are then read from what the command wrote. Interacting with a command while
it runs (reading its output line by line before it ends) cannot be done.
"""
import io
import os
import sys

_STDIN_BYTES = 1
_STDIN_NULL = 2
_STDOUT_CAPTURE = 4
_STDOUT_NULL = 8
_STDERR_CAPTURE = 16
_STDERR_NULL = 32
_STDERR_STDOUT = 64


def _run(argv, env, flags, data):
    import _goodbot_process
    env = os.environ if env is None else env
    return _goodbot_process.run([os.fsdecode(a) for a in argv],
                                ["%s=%s" % (os.fsdecode(k), os.fsdecode(v)) for k, v in env.items()],
                                flags, data)


def system(command):
    """os.system: runs COMMAND with sh -c and gives its wait status (exit status << 8)."""
    sys.stdout.flush()
    sys.stderr.flush()
    status, _, _ = _run(["sh", "-c", os.fsdecode(command)], None, 0, b"")
    return (status & 0xFF) << 8


class _Input(io.BytesIO):
    """A Popen's stdin PIPE: what is written is the command's input, which starts it once closed."""

    def __init__(self, popen):
        super().__init__()
        self._popen = popen

    def close(self):
        if not self.closed:
            data = self.getvalue()
            super().close()
            self._popen._start(data)


def install(ns):
    """Puts goodbot's Popen into the subprocess module whose globals are NS."""
    PIPE, STDOUT, DEVNULL = ns["PIPE"], ns["STDOUT"], ns["DEVNULL"]

    class Popen:
        def __init__(self, args, bufsize=-1, executable=None, stdin=None, stdout=None, stderr=None,
                     preexec_fn=None, close_fds=True, shell=False, cwd=None, env=None,
                     universal_newlines=None, startupinfo=None, creationflags=0, restore_signals=True,
                     start_new_session=False, pass_fds=(), *, user=None, group=None, extra_groups=None,
                     encoding=None, errors=None, text=None, umask=-1, pipesize=-1, process_group=None):
            self.args = args
            if isinstance(args, (str, bytes, os.PathLike)):
                argv = [args]
            else:
                argv = list(args)
            if shell:
                argv = ["sh", "-c"] + [os.fsdecode(a) for a in argv]
            elif executable is not None:
                argv = [executable] + argv[1:]
            self._argv = argv
            self._env = env
            self._cwd = cwd
            self.text_mode = bool(text or universal_newlines or encoding or errors)
            self._encoding = encoding or "utf-8"
            self._errors = errors or "strict"
            self._stdin_spec, self._stdout_spec, self._stderr_spec = stdin, stdout, stderr
            self.returncode = None
            self.pid = 0
            self.stdout = None
            self.stderr = None
            self.stdin = None
            self._stdout_data = self._stderr_data = None
            if stdin == PIPE:
                self.stdin = _Input(self)
                if self.text_mode:
                    self.stdin = io.TextIOWrapper(self.stdin, encoding=self._encoding, errors=self._errors,
                                                  write_through=True, line_buffering=True)
            else:
                self._start(None)

        def _flags_for(self, spec, capture, null, merged=None):
            if spec == PIPE:
                return capture
            if spec == DEVNULL:
                return null
            if merged is not None and spec == STDOUT:
                return merged
            return 0 if spec is None else capture

        def _start(self, data):
            if self.returncode is not None:
                return
            flags = 0
            stdin = self._stdin_spec
            if data is not None:
                flags |= _STDIN_BYTES
            elif stdin == DEVNULL:
                flags |= _STDIN_NULL
            elif stdin is not None:
                # A file or descriptor: its contents are the input.
                data = os.read(stdin, 1 << 30) if isinstance(stdin, int) else stdin.read()
                if isinstance(data, str):
                    data = data.encode(self._encoding, self._errors)
                flags |= _STDIN_BYTES
            flags |= self._flags_for(self._stdout_spec, _STDOUT_CAPTURE, _STDOUT_NULL)
            flags |= self._flags_for(self._stderr_spec, _STDERR_CAPTURE, _STDERR_NULL, _STDERR_STDOUT)
            sys.stdout.flush()
            sys.stderr.flush()
            here = os.getcwd()
            if self._cwd is not None:
                os.chdir(self._cwd)
            try:
                status, out, err = _run(self._argv, self._env, flags, data or b"")
            finally:
                if self._cwd is not None:
                    os.chdir(here)
            # 141: ended by a broken pipe, as a process killed by SIGPIPE (13).
            self.returncode = -13 if status == 141 else status
            self._stdout_data = self._deliver(self._stdout_spec, out)
            self._stderr_data = self._deliver(self._stderr_spec, err)
            if self._stdout_spec == PIPE:
                self.stdout = self._stream(self._stdout_data)
            if self._stderr_spec == PIPE:
                self.stderr = self._stream(self._stderr_data)

        def _deliver(self, spec, data):
            """Kept output: for a PIPE, the caller's to read; for a file or descriptor, written there now."""
            if data is None or spec == PIPE:
                return data
            if isinstance(spec, int):
                os.write(spec, data)
            elif hasattr(spec, "write"):
                try:
                    spec.write(data)
                except TypeError:
                    spec.write(data.decode(self._encoding, self._errors))
                spec.flush()
            return None

        def _stream(self, data):
            raw = io.BytesIO(data or b"")
            if self.text_mode:
                return io.TextIOWrapper(raw, encoding=self._encoding, errors=self._errors)
            return raw

        def _decoded(self, data):
            if data is None or not self.text_mode:
                return data
            return data.decode(self._encoding, self._errors).replace("\r\n", "\n")

        def communicate(self, input=None, timeout=None):
            if self.returncode is None:
                if isinstance(input, str):
                    input = input.encode(self._encoding, self._errors)
                self._start(input if input is not None else b"")
            out = self._decoded(self._stdout_data) if self._stdout_spec == PIPE else None
            err = self._decoded(self._stderr_data) if self._stderr_spec == PIPE else None
            self._stdout_data = self._stderr_data = None
            return out, err

        def wait(self, timeout=None):
            if self.returncode is None:
                self._start(b"")
            return self.returncode

        def poll(self):
            return self.returncode

        def send_signal(self, sig):
            pass

        def terminate(self):
            pass

        def kill(self):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            for stream in (self.stdout, self.stderr):
                if stream is not None:
                    stream.close()
            if self.stdin is not None and not self.stdin.closed:
                self.stdin.close()
            self.wait()

        def __repr__(self):
            return "<Popen: returncode: {} args: {!r}>".format(self.returncode, self.args)

    ns["Popen"] = Popen
    ns["_USE_POSIX_SPAWN"] = False
