"""Background jobs: one worker thread runs trainings one after another (two cores cannot
train two models faster than one after the other), one job per model at a time. Job state
is kept in memory and mirrored to `<storage>/jobs/<id>.json` so it survives restarts."""

from __future__ import annotations

import json
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from prometheus_client import Counter, Gauge, Histogram

from nst_core.errors import Conflict, NotFound
from nst_core.fsutil import atomic_write_text
from nst_core.logs import request_id_var
from nst_core.training.trainer import StepReport

log = logging.getLogger("nst.finetune")

Status = Literal["queued", "running", "succeeded", "failed"]
TRAINING_JOBS = Counter("nst_training_jobs_total", "Training jobs by outcome",
                        ["model", "status"])
TRAINING_STEP = Histogram("nst_training_step_seconds", "Seconds per training step",
                          ["model"], buckets=(0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64))
TRAINING_PROGRESS = Gauge("nst_training_progress", "Progress of the running job", ["model"])


@dataclass
class Job:
    job_id: str
    model: str
    params: dict[str, Any]
    status: Status = "queued"
    progress: float = 0.0
    step: int = 0
    total_steps: int = 0
    losses: dict[str, float] = field(default_factory=dict)
    loss_curve: list[dict[str, float]] = field(default_factory=list)
    eta_seconds: float | None = None
    version: str | None = None
    promoted: bool | None = None
    gate: dict[str, Any] | None = None
    error: str | None = None
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None

    def public(self) -> dict[str, Any]:
        return asdict(self)


class JobManager:
    def __init__(self, jobs_dir: Path) -> None:
        self.jobs_dir = jobs_dir
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="train")
        self._load_previous()

    def _load_previous(self) -> None:
        for path in sorted(self.jobs_dir.glob("*.json")):
            try:
                job = Job(**json.loads(path.read_text()))
            except (ValueError, TypeError):
                continue
            if job.status in ("queued", "running"):
                job.status, job.error = "failed", "the service restarted during the job"
                job.finished = time.time()
                self._persist(job)
            self._jobs[job.job_id] = job

    def _persist(self, job: Job) -> None:
        atomic_write_text(self.jobs_dir / f"{job.job_id}.json", json.dumps(job.public()))

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"no job {job_id!r}")
        return job

    def all_jobs(self) -> list[Job]:
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.created, reverse=True)

    def submit(self, model: str, params: dict[str, Any],
               work: Callable[[Callable[[StepReport], None]], dict[str, Any]]) -> Job:
        with self._lock:
            busy = [j for j in self._jobs.values()
                    if j.model == model and j.status in ("queued", "running")]
            if busy:
                raise Conflict(f"a job for {model} is already {busy[0].status}: "
                               f"{busy[0].job_id}")
            job = Job(job_id=uuid.uuid4().hex, model=model, params=params)
            self._jobs[job.job_id] = job
            self._persist(job)
        TRAINING_JOBS.labels(model, "queued").inc()
        self._executor.submit(self._run, job, work)
        return job

    def _run(self, job: Job,
             work: Callable[[Callable[[StepReport], None]], dict[str, Any]]) -> None:
        token = request_id_var.set(job.job_id)
        job.status, job.started = "running", time.time()
        self._persist(job)
        log.info("job started", extra={"job_id": job.job_id, "model": job.model})
        last_step = [time.perf_counter()]

        def on_step(report: StepReport) -> None:
            now = time.perf_counter()
            TRAINING_STEP.labels(job.model).observe(now - last_step[0])
            last_step[0] = now
            job.step, job.total_steps = report.step, report.total_steps
            job.progress = round(report.step / report.total_steps, 4)
            job.losses = report.losses
            job.loss_curve.append({"step": report.step, **report.losses})
            per_step = report.seconds / report.step
            job.eta_seconds = round(per_step * (report.total_steps - report.step), 1)
            TRAINING_PROGRESS.labels(job.model).set(job.progress)
            self._persist(job)
            log.info("training step", extra={
                "job_id": job.job_id, "model": job.model, "step": report.step,
                "total_steps": report.total_steps, "loss": round(report.losses["total"], 4),
                "eta_s": job.eta_seconds})

        try:
            outcome = work(on_step)
            job.version, job.promoted = outcome["version"], outcome["promoted"]
            job.gate = outcome["gate"]
            job.status, job.progress, job.eta_seconds = "succeeded", 1.0, 0.0
        except Exception as exc:
            job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"
            log.error("job failed", extra={"job_id": job.job_id, "model": job.model,
                                           "error": job.error,
                                           "trace": traceback.format_exc(limit=5)})
        finally:
            job.finished = time.time()
            TRAINING_JOBS.labels(job.model, job.status).inc()
            TRAINING_PROGRESS.labels(job.model).set(0)
            self._persist(job)
            log.info("job finished", extra={"job_id": job.job_id, "model": job.model,
                                            "status": job.status, "version": job.version})
            request_id_var.reset(token)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
