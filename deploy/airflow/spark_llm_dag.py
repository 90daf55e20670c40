"""spark-llm stages on a Spark cluster (YARN or any master behind an Airflow Spark connection).

preprocess -> train-tokenizer -> tokenize -> train -> evaluate, each a SparkSubmitOperator
(apache-airflow-providers-apache-spark). Trigger with params, e.g.
``{"input": "s3a://corpus/raw/", "output": "s3a://corpus/runs", "config": "conf/demo.yaml"}``.
Each DAG run writes under its own ``output/<run id>/``: pre/, tok/, tokens/, run/, eval/
(spark_llm_params.py, which must sit next to this file, checks the params).

Environment read when the DAG is parsed:
  SPARK_LLM_JAR          the cluster jar
  SPARK_LLM_CONN_ID      Spark connection (default spark_default): master (e.g. yarn), deploy mode
  SPARK_LLM_RETRIES      retries of each task (default 2)
  SPARK_LLM_REPLICAS     data-parallel training replicas, one executor each (default 4);
                         0 = one replica on the driver
  SPARK_LLM_EXECUTOR_CORES  cores per training executor = spark.task.cpus (default 4)
  SPARK_LLM_MAX_ATTEMPTS attempts of the training barrier stage (default 4)
  SPARK_LLM_GPU=1        one GPU per training executor (the driver's, with 0 replicas), found by
                         SPARK_LLM_GPU_SCRIPT, which the worker ships with --files
  PYTORCH_LIBRARY_PATH   a CUDA libtorch on the nodes (with PYTORCH_VERSION, PYTORCH_FLAVOR);
                         unset for a jar built with -Pcuda
  S3_ENDPOINT            optional S3-compatible endpoint
S3 keys are never passed here: use the cluster's roles or Hadoop credential providers.
"""

import os
from datetime import timedelta

import pendulum
from airflow import DAG
from airflow.models.param import Param
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

import spark_llm_params as p

JAR = os.environ.get(
    "SPARK_LLM_JAR", "/opt/spark-llm/spark-llm-jobs-0.1.0-SNAPSHOT-spark-submit.jar"
)
CONN_ID = os.environ.get("SPARK_LLM_CONN_ID", "spark_default")
RETRIES = int(os.environ.get("SPARK_LLM_RETRIES", "2"))
REPLICAS = int(os.environ.get("SPARK_LLM_REPLICAS", "4"))
EXECUTOR_CORES = os.environ.get("SPARK_LLM_EXECUTOR_CORES", "4")
MAX_ATTEMPTS = os.environ.get("SPARK_LLM_MAX_ATTEMPTS", "4")
GPU = os.environ.get("SPARK_LLM_GPU", "0") == "1"
GPU_SCRIPT = os.environ.get("SPARK_LLM_GPU_SCRIPT", "/opt/spark-llm/gpu/getGpusResources.sh")
MAIN_CLASS = "dev.sparkllm.jobs.SparkLlm"

# Same settings as deploy/submit-yarn.sh.
BASE_CONF = {
    "spark.driver.extraJavaOptions": "-Dai.djl.offline=true",
    "spark.executor.extraJavaOptions": "-Dai.djl.offline=true",
    "spark.hadoop.fs.s3a.committer.name": "magic",
    "spark.hadoop.fs.s3a.committer.magic.enabled": "true",
    "spark.hadoop.mapreduce.outputcommitter.factory.scheme.s3a": (
        "org.apache.hadoop.fs.s3a.commit.S3ACommitterFactory"
    ),
    "spark.sql.sources.commitProtocolClass": (
        "org.apache.spark.internal.io.cloud.PathOutputCommitProtocol"
    ),
    "spark.sql.parquet.output.committer.class": (
        "org.apache.spark.internal.io.cloud.BindingParquetOutputCommitter"
    ),
}
if os.environ.get("S3_ENDPOINT"):
    BASE_CONF["spark.hadoop.fs.s3a.endpoint"] = os.environ["S3_ENDPOINT"]
    BASE_CONF["spark.hadoop.fs.s3a.path.style.access"] = "true"

# The CUDA libtorch goes wherever the model runs: executors, and the driver (on YARN the
# application master) for a single replica.
PYTORCH_ENV = {}
if os.environ.get("PYTORCH_LIBRARY_PATH"):
    PYTORCH_ENV = {
        "PYTORCH_LIBRARY_PATH": os.environ["PYTORCH_LIBRARY_PATH"],
        "PYTORCH_VERSION": os.environ.get("PYTORCH_VERSION", "2.7.1"),
        "PYTORCH_FLAVOR": os.environ.get("PYTORCH_FLAVOR", "cu128"),
    }

# --files puts the discovery script in every YARN container's working directory.
DISCOVERY = "./getGpusResources.sh"
EXECUTOR_GPU = {
    "spark.executor.resource.gpu.amount": "1",
    "spark.executor.resource.gpu.discoveryScript": DISCOVERY,
    "spark.task.resource.gpu.amount": "1",
}

# Training: a barrier stage needs every replica at once and no duplicate attempts.
TRAIN_CONF = {
    **BASE_CONF,
    "spark.dynamicAllocation.enabled": "false",
    "spark.speculation": "false",
}
if REPLICAS > 0:
    TRAIN_CONF.update(
        {
            # One executor per replica and one task slot per executor (task.cpus = cores).
            "spark.executor.instances": str(REPLICAS),
            "spark.executor.cores": EXECUTOR_CORES,
            "spark.task.cpus": EXECUTOR_CORES,
            # A failed replica fails the stage; Spark reruns it and replicas reload
            # checkpoints/latest, up to this many attempts.
            "spark.stage.maxConsecutiveAttempts": MAX_ATTEMPTS,
            "spark.task.maxFailures": "4",
            # The job counts task slots at start: wait for all executors.
            "spark.scheduler.minRegisteredResourcesRatio": "1.0",
            "spark.scheduler.maxRegisteredResourcesWaitingTime": "10min",
        }
    )
    if GPU:
        TRAIN_CONF.update(EXECUTOR_GPU)
    for name, value in PYTORCH_ENV.items():
        TRAIN_CONF["spark.executorEnv." + name] = value
else:
    if GPU:
        TRAIN_CONF["spark.driver.resource.gpu.amount"] = "1"
        TRAIN_CONF["spark.driver.resource.gpu.discoveryScript"] = DISCOVERY
    for name, value in PYTORCH_ENV.items():
        TRAIN_CONF["spark.yarn.appMasterEnv." + name] = value

# Evaluation scores in executor tasks: GPU executors when there are GPUs.
EVAL_CONF = dict(BASE_CONF)
if GPU:
    EVAL_CONF.update(EXECUTOR_GPU)
for name, value in PYTORCH_ENV.items():
    EVAL_CONF["spark.executorEnv." + name] = value

# Each parameter renders into exactly one argument of an argument list (no shell, no text
# format), checked by spark_llm_params' filters.
OUT = p.RUN_ROOT
CONFIG = ["--config", p.CONFIG]
REPLICA_ARGS = ["--replicas", str(REPLICAS)] if REPLICAS > 0 else []

with DAG(
    dag_id="spark_llm",
    description="raw text -> docs -> tokenizer -> token shards -> GPT checkpoints -> report",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    schedule=None,
    catchup=False,
    max_active_runs=1,
    default_args={"retries": RETRIES, "retry_delay": timedelta(minutes=5)},
    params=p.params(Param),
    user_defined_filters=p.FILTERS,
    tags=["spark-llm"],
) as dag:

    def stage(task_id, args, conf=None, files=None):
        return SparkSubmitOperator(
            task_id=task_id,
            conn_id=CONN_ID,
            application=JAR,
            java_class=MAIN_CLASS,
            name="spark-llm-" + task_id.replace("_", "-"),
            application_args=args + CONFIG,
            conf=conf or BASE_CONF,
            files=files,
            retries=RETRIES,
        )

    # --overwrite makes a retry after a partial write start clean. It can only meet this run's
    # own earlier tries: the outputs are this run's directories (OUT), never the input.
    preprocess = stage(
        "preprocess",
        ["preprocess", "--input", p.INPUT, "--output", OUT + "/pre", "--overwrite"],
    )
    train_tokenizer = stage(
        "train_tokenizer",
        ["train-tokenizer", "--input", OUT + "/pre", "--output", OUT + "/tok", "--overwrite"],
    )
    tokenize = stage(
        "tokenize",
        [
            "tokenize",
            "--input", OUT + "/pre",
            "--tokenizer", OUT + "/tok",
            "--output", OUT + "/tokens",
            "--overwrite",
        ],
    )
    train = stage(
        "train",
        [
            "train",
            "--data", OUT + "/tokens",
            "--output", OUT + "/run",
            "--preset", p.PRESET,
            *REPLICA_ARGS,
            # Every try runs the same command: continue from run/checkpoints/latest when an
            # earlier try left one, else start the run.
            "--auto-resume",
        ],
        conf=TRAIN_CONF,
        files=GPU_SCRIPT if GPU else None,
    )
    evaluate = stage(
        "evaluate",
        [
            "evaluate",
            "--checkpoint", OUT + "/run",
            "--data", OUT + "/tokens",
            "--output", OUT + "/eval",
            "--overwrite",
        ],
        conf=EVAL_CONF,
        files=GPU_SCRIPT if GPU else None,
    )

    preprocess >> train_tokenizer >> tokenize >> train >> evaluate
