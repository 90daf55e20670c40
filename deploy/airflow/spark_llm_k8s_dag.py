"""spark-llm stages on Kubernetes through the Spark operator, from deploy/k8s/*.yaml.

preprocess -> train-tokenizer -> tokenize -> train -> evaluate, each a SparkKubernetesOperator
(apache-airflow-providers-cncf-kubernetes) that submits the stage's SparkApplication and waits
for it. The manifests are read when the DAG is parsed; their example paths are replaced by the
run's params (input, output, config). Put the manifests next to this file or point
SPARK_LLM_MANIFESTS at them; spark_llm_params.py (which checks the params) must sit next to this
file. Each DAG run writes under its own output/<run id>/: pre/, tok/, tokens/, run/, eval/.

The SparkApplication goes to the operator as data (template_spec), not as YAML text: Airflow
renders each string of it on its own, so a parameter can only ever be the one argument it is
meant to be, whatever quotes or newlines it holds.

train keeps its manifest's GPU executors (one replica per executor, one nvidia.com/gpu each, no
driver GPU); SPARK_LLM_REPLICAS (default: the manifest's executor.instances) sets both the
executor count and the job's --replicas.
"""

import copy
import os
from datetime import timedelta
from pathlib import Path

import pendulum
import spark_llm_params as p
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

OUT = p.RUN_ROOT
ARGUMENTS = {
    # --overwrite makes a retry after a partial write start clean; the outputs are this run's
    # own directories (OUT), never the input.
    "preprocess": ["--input", p.INPUT, "--output", OUT + "/pre", "--overwrite"],
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
        "--preset", p.PRESET,
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

# The operator's template_ext: it loads any templated string ending in one of these as a file.
TEMPLATE_EXT = ("yaml", "yml", "json")


def plain_strings(value, where):
    """Refuses manifest strings Airflow would not take as they are."""
    if isinstance(value, dict):
        for key, item in value.items():
            plain_strings(item, where + "." + str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            plain_strings(item, "%s[%d]" % (where, i))
    elif isinstance(value, str) and (value.endswith(TEMPLATE_EXT) or "{{" in value):
        raise ValueError("%s: %r would be read as a template; change the manifest" % (where, value))


def set_args(args):
    """The manifest's "--set KEY=VALUE" pairs, which the run's arguments keep."""
    kept = []
    for option, value in zip(args, args[1:]):
        if option == "--set":
            kept += [option, value]
    return kept


def application(stage):
    """The stage's manifest with the run's arguments, as the dict Airflow renders string by
    string."""
    with open(MANIFESTS / (stage + ".yaml"), encoding="utf-8") as f:
        spec = copy.deepcopy(yaml.safe_load(f))
    plain_strings(spec, stage + ".yaml")
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
    spec["spec"]["arguments"] = [stage] + args + ["--config", p.CONFIG]
    # Airflow retries the task (a new application); the operator itself must not rerun it too.
    spec["spec"]["restartPolicy"] = {
        "type": "OnFailure",
        "onFailureRetries": 0,
        "onSubmissionFailureRetries": 3,
        "onSubmissionFailureRetryInterval": 60,
    }
    return spec


with DAG(
    dag_id="spark_llm_k8s",
    description="spark-llm stages as SparkApplications (GPU executors for train)",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    schedule=None,
    catchup=False,
    max_active_runs=1,
    default_args={"retries": RETRIES, "retry_delay": timedelta(minutes=5)},
    params=p.params(Param),
    user_defined_filters=p.FILTERS,
    tags=["spark-llm"],
) as dag:
    tasks = []
    for stage in STAGES:
        tasks.append(
            SparkKubernetesOperator(
                task_id=stage.replace("-", "_"),
                namespace=NAMESPACE,
                template_spec=application(stage),
                kubernetes_conn_id="kubernetes_default",
                delete_on_termination=True,
                retries=RETRIES,
            )
        )
    for upstream, downstream in zip(tasks, tasks[1:]):
        upstream >> downstream
