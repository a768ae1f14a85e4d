from __future__ import annotations

from dataclasses import asdict
from functools import partial
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from nst_core.registry import ModelRegistry, validate_model_id
from nst_core.storage import Storage
from nst_core.training.trainer import TrainParams

from ..auth import require_admin
from ..core.config import FineTuneSettings, get_settings
from ..deps import get_jobs, get_registry, get_storage
from ..jobs import JobManager
from ..training_data import collect, load_style, load_vgg
from ..training_job import JobSpec, run_training

router = APIRouter(tags=["jobs"], dependencies=[Depends(require_admin)])


class FinetuneIn(BaseModel):
    model: str = Field(max_length=64)
    epochs: int | None = Field(None, ge=1, le=1000,
                               description="default: max_steps steps if set, else one epoch")
    batch_size: int = Field(4, ge=1, le=32)
    image_size: int = Field(256, ge=32, le=1024, multiple_of=4)
    learning_rate: float = Field(1e-3, gt=0, le=1)
    style_weight: float = Field(100.0, ge=0, le=1e6)
    content_weight: float = Field(7.5, ge=0, le=1e6)
    tv_weight: float = Field(200.0, ge=0, le=1e6)
    max_steps: int | None = Field(None, ge=1, le=1_000_000)
    seed: int = Field(0, ge=0)
    from_scratch: bool = False
    promote: bool = True


class JobCreated(BaseModel):
    job_id: str
    status: str
    model: str


@router.post("/finetune", status_code=202, response_model=JobCreated,
             responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def finetune(
    body: FinetuneIn,
    settings: FineTuneSettings = Depends(get_settings),
    registry: ModelRegistry = Depends(get_registry),
    storage: Storage = Depends(get_storage),
    jobs: JobManager = Depends(get_jobs),
) -> JobCreated:
    model = validate_model_id(body.model)
    registry.existing_model_dir(model)  # 404 for an unknown model
    # Every precondition is checked now, so the caller gets a 422 with the reason.
    data = await run_in_threadpool(collect, storage, model, settings.curated_dir,
                                   settings.max_training_images)
    style = await run_in_threadpool(load_style, registry, model, settings.style_max_side)
    vgg = await run_in_threadpool(load_vgg, storage.vgg19)
    params = TrainParams(
        epochs=body.epochs, batch_size=body.batch_size, image_size=body.image_size,
        learning_rate=body.learning_rate, content_weight=body.content_weight,
        style_weight=body.style_weight, tv_weight=body.tv_weight, max_steps=body.max_steps,
        seed=body.seed,
    )
    spec = JobSpec(model=model, params=params, from_scratch=body.from_scratch,
                   promote=body.promote)
    work = partial(run_training, registry, spec, data, style, vgg, settings.promotion_margin,
                   settings.eval_images)
    job = jobs.submit(model, {**asdict(params), "from_scratch": body.from_scratch,
                              "promote": body.promote}, lambda on_step: work(on_step))
    return JobCreated(job_id=job.job_id, status=job.status, model=model)


@router.get("/jobs/{job_id}")
async def get_job(job_id: str, jobs: JobManager = Depends(get_jobs)) -> dict[str, Any]:
    return jobs.get(job_id).public()


@router.get("/jobs")
async def list_jobs(jobs: JobManager = Depends(get_jobs)) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in job.public().items() if k != "loss_curve"} for job in jobs.all_jobs()
    ]
