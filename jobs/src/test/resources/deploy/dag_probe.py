"""Loads an Airflow DAG file against stand-ins for the Airflow modules and prints its tasks as
JSON, each templated field rendered for every try Airflow can make: "first" (try 1), "retry"
(try 2) and "last" (try 1 + the task's retries), so that a test can check that the tries of a
task run the same command (DeployFilesTest reads it).
Usage: python3 dag_probe.py DAG_FILE. Needs jinja2 and PyYAML. The environment may set
DAG_PARAMS (a JSON object of trigger params over the defaults) and DAG_RUN_ID. A template that
fails to render (a refused param) exits 3 with the error on stderr."""

import importlib.util
import json
import os
import sys
import types

import jinja2

sys.dont_write_bytecode = True
TASKS = []


class Operator:
    def __init__(self, **kwargs):
        self.kwargs = kwargs
        TASKS.append(kwargs)

    def __rshift__(self, other):
        return other


class DAG:
    def __init__(self, **kwargs):
        self.kwargs = kwargs

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def module(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m


module("pendulum", datetime=lambda *a, **k: "2025-01-01")
module("airflow", DAG=DAG)
module("airflow.models")
module("airflow.models.param", Param=lambda default=None, **k: default)
for package in ["providers", "providers.apache", "providers.apache.spark",
                "providers.apache.spark.operators", "providers.cncf",
                "providers.cncf.kubernetes", "providers.cncf.kubernetes.operators"]:
    module("airflow." + package)
module("airflow.providers.apache.spark.operators.spark_submit", SparkSubmitOperator=Operator)
module("airflow.providers.cncf.kubernetes.operators.spark_kubernetes",
       SparkKubernetesOperator=Operator)

# As Airflow does: the DAGs folder is on sys.path, so a DAG can import its neighbours.
sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[1])))
spec = importlib.util.spec_from_file_location("dag_under_test", sys.argv[1])
dag_module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dag_module)
dag = dag_module.dag

env = jinja2.Environment(undefined=jinja2.StrictUndefined)
env.filters.update(dag.kwargs.get("user_defined_filters") or {})
params = dict(dag.kwargs["params"])
params.update(json.loads(os.environ.get("DAG_PARAMS", "{}")))
run_id = os.environ.get("DAG_RUN_ID", "manual__2025-01-01T00:00:00+00:00")


def render(value, try_number):
    context = {
        "params": params,
        "ti": types.SimpleNamespace(try_number=try_number),
        "ts_nodash": "20250101T000000",
        "run_id": run_id,
    }
    if isinstance(value, str):
        try:
            return env.from_string(value).render(context)
        except ValueError as e:
            print("render failed: %s" % e, file=sys.stderr)
            sys.exit(3)
    if isinstance(value, list):
        return [render(v, try_number) for v in value]
    if isinstance(value, dict):
        return {k: render(v, try_number) for k, v in value.items()}
    return value


default_retries = dag.kwargs["default_args"]["retries"]
out = {"dag_id": dag.kwargs["dag_id"], "default_args": {"retries": default_retries}, "tasks": []}
for task in TASKS:
    retries = task.get("retries", default_retries)
    if retries < 1:
        sys.exit("task %s has no retries: nothing to compare" % task.get("task_id"))
    tries = (("first", 1), ("retry", 2), ("last", 1 + retries))
    rendered = {label: {} for label, _ in tries}
    for key, value in task.items():
        for label, try_number in tries:
            rendered[label][key] = render(value, try_number)
    if "application_file" in task:
        import yaml

        for label, _ in tries:
            rendered[label]["application_file"] = yaml.safe_load(
                rendered[label]["application_file"])
    out["tasks"].append(rendered)
out["run_id"] = run_id
print(json.dumps(out, default=str))
