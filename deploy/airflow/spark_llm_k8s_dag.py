"""spark-llm stages on Kubernetes through the Spark operator, from deploy/k8s/*.yaml.

preprocess -> train-tokenizer -> tokenize -> train -> evaluate, each a SparkKubernetesOperator
(apache-airflow-providers-cncf-kubernetes) that submits the stage's SparkApplication and waits
for it. The manifests are read when the DAG is parsed; their example paths are replaced by the
run's params (input, output, config). Put the manifests next to this file or point
SPARK_LLM_MANIFESTS at them.

train keeps its manifest's GPU executors (one replica per executor, one nvidia.com/gpu each, no
driver GPU); SPARK_LLM_REPLICAS (default: the manifest's executor.instances) sets both the
executor count and the job's --replicas.
"""

import copy
import os
from datetime import timedelta
from pathlib import Path

import pendulum
import yaml
from airflow import DAG
from airflow.models.param import Param
from airflow.providers.cncf.kubernetes.operators.spark_kubernetes import (
    SparkKubernetesOperator,
)

HERE = Path(__file__).resolve().parent
MANIFESTS = Path(os.environ.get("SPARK_LLM_MANIFESTS", HERE.parent / "k8s"))
NAMESPACE = os.environ.get("SPARK_LLM_NAMESPACE", "spark-llm")
RETRIES = int(os.environ.get("SPARK_LLM_RETRIES", "2"))
STAGES = ["preprocess", "train-tokenizer", "tokenize", "train", "evaluate"]

# Templates here use double quotes only: yaml.safe_dump writes them into single-quoted scalars,
# where a single quote would come out doubled and no longer be Jinja.
OUT = '{{ params.output.rstrip("/") }}'
ARGUMENTS = {
    "preprocess": ["--input", "{{ params.input }}", "--output", OUT + "/pre", "--overwrite"],
    "train-tokenizer": ["--input", OUT + "/pre", "--output", OUT + "/tok", "--overwrite"],
    "tokenize": [
        "--input", OUT + "/pre",
        "--tokenizer", OUT + "/tok",
        "--output", OUT + "/tokens",
        "--overwrite",
    ],
    "train": [
        "--data", OUT + "/tokens",
        "--output", OUT + "/run",
        "--preset", "{{ params.preset }}",
        # Every try runs the same command: continue from run/checkpoints/latest when an earlier
        # try left one, else start the run.
        "--auto-resume",
    ],
    "evaluate": [
        "--checkpoint", OUT + "/run",
        "--data", OUT + "/tokens",
        "--output", OUT + "/eval",
        "--overwrite",
    ],
}


def set_args(args):
    """The manifest's "--set KEY=VALUE" pairs, which the run's arguments keep."""
    kept = []
    for option, value in zip(args, args[1:]):
        if option == "--set":
            kept += [option, value]
    return kept


def application(stage):
    """The stage's manifest with the run's arguments, as a YAML string Airflow renders."""
    with open(MANIFESTS / (stage + ".yaml"), encoding="utf-8") as f:
        spec = copy.deepcopy(yaml.safe_load(f))
    # A unique name per run and try: the operator refuses to create an application that exists.
    spec["metadata"]["name"] = (
        "spark-llm-" + stage + "-{{ ts_nodash | lower }}-{{ ti.try_number }}"
    )
    spec["metadata"]["namespace"] = NAMESPACE
    args = ARGUMENTS[stage]
    if stage == "train":
        # --replicas and executor.instances must agree: one replica per GPU executor.
        replicas = int(
            os.environ.get("SPARK_LLM_REPLICAS", spec["spec"]["executor"]["instances"])
        )
        spec["spec"]["executor"]["instances"] = replicas
        # Keeps the manifest's fixed gradient-service port (training.distributed.port).
        args = args + ["--replicas", str(replicas)] + set_args(spec["spec"]["arguments"])
    spec["spec"]["arguments"] = [stage] + args + ["--config", "{{ params.config }}"]
    # Airflow retries the task (a new application); the operator itself must not rerun it too.
    spec["spec"]["restartPolicy"] = {
        "type": "OnFailure",
        "onFailureRetries": 0,
        "onSubmissionFailureRetries": 3,
        "onSubmissionFailureRetryInterval": 60,
    }
    return yaml.safe_dump(spec, sort_keys=False)


with DAG(
    dag_id="spark_llm_k8s",
    description="spark-llm stages as SparkApplications (GPU executors for train)",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    schedule=None,
    catchup=False,
    max_active_runs=1,
    default_args={"retries": RETRIES, "retry_delay": timedelta(minutes=5)},
    params={
        "input": Param("s3a://spark-llm/raw/", type="string"),
        "output": Param("s3a://spark-llm/out", type="string"),
        "config": Param("/opt/spark-llm/conf/defaults.yaml", type="string"),
        "preset": Param("mini", enum=["tiny", "mini", "gpt2"]),
    },
    tags=["spark-llm"],
) as dag:
    tasks = []
    for stage in STAGES:
        tasks.append(
            SparkKubernetesOperator(
                task_id=stage.replace("-", "_"),
                namespace=NAMESPACE,
                application_file=application(stage),
                kubernetes_conn_id="kubernetes_default",
                delete_on_termination=True,
                retries=RETRIES,
            )
        )
    for upstream, downstream in zip(tasks, tasks[1:]):
        upstream >> downstream
