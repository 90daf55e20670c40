"""The trigger parameters of the spark-llm DAGs, checked where Airflow renders them.

Both DAGs import this module (Airflow puts the DAGs folder on sys.path); keep it next to them.
A parameter only ever becomes one whole argument of the job: the DAGs build commands and
SparkApplications as lists and dicts, never as text a value could break out of. On top of that
the values are checked twice: by the Param schema when a run is triggered, and by the Jinja
filters below when a task renders them, so a run whose params skipped the schema still fails
before anything is submitted.

Every DAG run writes under its own directory, OUTPUT/<run>/ (stage outputs pre/, tok/, tokens/,
run/, eval/), so a new run never meets, let alone overwrites, the outputs of another; --overwrite
then only ever replaces what an earlier try of the same run's task left.
"""

import hashlib
import re

PRESETS = ["tiny", "mini", "gpt2"]

# A path or URI: no control characters (a newline or NUL has no business in a path and is how text
# formats get broken out of), and no leading "-" (the job would read it as one of its options).
PATH_PATTERN = r"^[^\x00-\x1f\x7f-][^\x00-\x1f\x7f]*$"


def checked_path(value, name):
    """The value of param NAME when it is a usable path or URI, else a one-line error."""
    if not isinstance(value, str) or not re.match(PATH_PATTERN, value) or not value.strip():
        raise ValueError(
            "param '%s' must be a path or URI without control characters that does not start"
            " with '-', got %r" % (name, value)
        )
    return value


def _inside(path, root):
    path, root = path.rstrip("/"), root.rstrip("/")
    return path == root or path.startswith(root + "/")


def checked_input(value, output):
    """The input param, refused when it lies inside the output root or contains it."""
    checked_path(value, "input")
    checked_path(output, "output")
    if _inside(value, output) or _inside(output, value):
        raise ValueError(
            "param 'input' (%s) and param 'output' (%s) must not contain each other: the stages"
            " write under output and would replace or read their own results" % (value, output)
        )
    return value


def run_dir_name(run_id):
    """The run's directory name: its run_id in path-safe characters, plus a short hash of the
    run_id when characters had to be replaced (two run_ids must not share a directory)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", str(run_id))
    if safe != str(run_id):
        safe += "-" + hashlib.sha256(str(run_id).encode("utf-8")).hexdigest()[:8]
    return safe


def run_root(output, run_id):
    """OUTPUT/<run>: the directory every stage of one DAG run writes under."""
    return checked_path(output, "output").rstrip("/") + "/" + run_dir_name(run_id)


def checked_preset(value):
    if value not in PRESETS:
        raise ValueError("param 'preset' must be one of %s, got %r" % (", ".join(PRESETS), value))
    return value


# For DAG(user_defined_filters=...): the templates below use these names.
FILTERS = {
    "spark_llm_path": checked_path,
    "spark_llm_input": checked_input,
    "spark_llm_run_root": run_root,
    "spark_llm_preset": checked_preset,
}

INPUT = "{{ params.input | spark_llm_input(params.output) }}"
RUN_ROOT = "{{ params.output | spark_llm_run_root(run_id) }}"
CONFIG = '{{ params.config | spark_llm_path("config") }}'
PRESET = "{{ params.preset | spark_llm_preset }}"


def params(param):
    """The DAG's params, built with airflow's Param class (passed in, so this module imports
    nothing from Airflow)."""
    return {
        "input": param(
            "s3a://spark-llm/raw/", type="string", pattern=PATH_PATTERN, description="raw corpus"
        ),
        "output": param(
            "s3a://spark-llm/out",
            type="string",
            pattern=PATH_PATTERN,
            description="runs root: each DAG run writes under OUTPUT/<run id>/",
        ),
        "config": param(
            "/opt/spark-llm/conf/defaults.yaml",
            type="string",
            pattern=PATH_PATTERN,
            description="YAML config",
        ),
        "preset": param("mini", enum=PRESETS),
    }
