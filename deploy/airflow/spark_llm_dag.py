"""spark-llm stages on a Spark cluster (YARN or any master behind an Airflow Spark connection).

preprocess -> train-tokenizer -> tokenize -> train, each a SparkSubmitOperator
(apache-airflow-providers-apache-spark). Trigger with params, e.g.
``{"input": "s3a://corpus/raw/", "output": "s3a://corpus/runs/r1", "config": "conf/demo.yaml"}``.
Each stage writes under ``output``: pre/, tok/, tokens/, run/.

Environment read when the DAG is parsed: SPARK_LLM_JAR (the cluster jar), SPARK_LLM_CONN_ID
(default spark_default), SPARK_LLM_RETRIES (default 2), S3_ENDPOINT (optional), SPARK_LLM_GPU=1
(one GPU for the train driver, found by SPARK_LLM_GPU_SCRIPT).
S3 keys are never passed here: use the cluster's roles or Hadoop credential providers.
"""

import os
from datetime import timedelta

import pendulum
from airflow import DAG
from airflow.models.param import Param
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

JAR = os.environ.get(
    "SPARK_LLM_JAR", "/opt/spark-llm/spark-llm-jobs-0.1.0-SNAPSHOT-spark-submit.jar"
)
CONN_ID = os.environ.get("SPARK_LLM_CONN_ID", "spark_default")
RETRIES = int(os.environ.get("SPARK_LLM_RETRIES", "2"))
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

# The trainer runs one replica on the driver today: the GPU goes to the driver. Executor GPU
# settings (spark.executor.resource.gpu.*) belong here once the distributed trainer lands.
GPU = os.environ.get("SPARK_LLM_GPU", "0") == "1"
GPU_SCRIPT = os.environ.get("SPARK_LLM_GPU_SCRIPT", "/opt/spark-llm/gpu/getGpusResources.sh")
TRAIN_CONF = {
    **BASE_CONF,
    "spark.dynamicAllocation.enabled": "false",
    "spark.speculation": "false",
}
if GPU:
    # Shipped with --files, so it sits in the YARN container's working directory.
    TRAIN_CONF["spark.driver.resource.gpu.amount"] = "1"
    TRAIN_CONF["spark.driver.resource.gpu.discoveryScript"] = "./getGpusResources.sh"

OUT = "{{ params.output.rstrip('/') }}"
CONFIG = ["--config", "{{ params.config }}"]

with DAG(
    dag_id="spark_llm",
    description="raw text -> docs -> tokenizer -> token shards -> GPT checkpoints",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    schedule=None,
    catchup=False,
    max_active_runs=1,
    default_args={"retries": RETRIES, "retry_delay": timedelta(minutes=5)},
    params={
        "input": Param("s3a://spark-llm/raw/", type="string", description="raw corpus"),
        "output": Param("s3a://spark-llm/out", type="string", description="run root"),
        "config": Param(
            "/opt/spark-llm/conf/defaults.yaml", type="string", description="YAML config"
        ),
        "preset": Param("mini", enum=["tiny", "mini", "gpt2"]),
    },
    tags=["spark-llm"],
) as dag:

    def stage(task_id, args, conf=None, retries=None, files=None):
        return SparkSubmitOperator(
            task_id=task_id,
            conn_id=CONN_ID,
            application=JAR,
            java_class=MAIN_CLASS,
            name="spark-llm-" + task_id.replace("_", "-"),
            application_args=args + CONFIG,
            conf=conf or BASE_CONF,
            files=files,
            retries=RETRIES if retries is None else retries,
        )

    # --overwrite makes a retry after a partial write start clean.
    preprocess = stage(
        "preprocess",
        ["preprocess", "--input", "{{ params.input }}", "--output", OUT + "/pre", "--overwrite"],
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
    # No automatic retry: once checkpoints exist a rerun needs --resume (run it by hand).
    train = stage(
        "train",
        [
            "train",
            "--data", OUT + "/tokens",
            "--output", OUT + "/run",
            "--preset", "{{ params.preset }}",
        ],
        conf=TRAIN_CONF,
        retries=0,
        files=GPU_SCRIPT if GPU else None,
    )

    preprocess >> train_tokenizer >> tokenize >> train
