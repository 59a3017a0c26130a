"""Kubernetes without a cluster: the documented run config of monthly_invoicing under
`k8s_job_executor` (deploy/k8s-run-config.yaml) renders, through dagster-k8s's own builders, valid
Job manifests for the shard steps, with the resources and the Secret deploy/EXECUTORS.md
documents and no secret inline; deploy/helm-values.yaml deploys the same image, Secret and
resources."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import kubernetes
import pytest
import yaml
from dagster._config import process_config
from dagster._core.definitions.reconstruct import ReconstructableRepository
from dagster._core.executor.init import InitExecutorContext
from dagster._grpc.types import ExecuteStepArgs
from dagster_k8s import K8sRunLauncher, k8s_job_executor
from dagster_k8s.job import construct_dagster_k8s_job, get_k8s_job_name


DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RUN_CONFIG = yaml.safe_load((DEPLOY / "k8s-run-config.yaml").read_text())
HELM = yaml.safe_load((DEPLOY / "helm-values.yaml").read_text())
[USER_CODE] = HELM["dagster-user-deployments"]["deployments"]
SECRET = "arcadia-pipelines-secrets"
SECRET_VARIABLES = ("DAGSTER_POSTGRES_URL", "ARCADIA_WAREHOUSE_URL", "DIGITALOCEAN_TOKEN")
RESOURCES = {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "1536Mi"}}
RUN_ID = "0f8b7c9e-1d2a-4c3b-9e8f-7a6b5c4d3e2f"
KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: none, user: {token: unused}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
"""


def _reconstructable():
    return ReconstructableRepository.for_module("arcadia_pipelines.definitions", "defs").get_reconstructable_job(
        "monthly_invoicing")


@pytest.fixture
def step_handler(tmp_path):
    """dagster-k8s's step handler, built by k8s_job_executor itself from the documented config
    (pointed at a kubeconfig of a cluster that is never called)."""
    (tmp_path / "kubeconfig").write_text(KUBECONFIG)
    config = {**RUN_CONFIG["execution"]["config"], "load_incluster_config": False,
              "kubeconfig_file": str(tmp_path / "kubeconfig")}
    processed = process_config(k8s_job_executor.config_schema.config_type, config)
    assert processed.success, processed.errors
    job = _reconstructable()
    with dg.instance_for_test() as instance:
        executor = k8s_job_executor.executor_creation_fn(
            InitExecutorContext(job=job, executor_def=k8s_job_executor, executor_config=processed.value,
                                instance=instance))
    return executor._step_handler  # noqa: SLF001 - the handler the executor launches steps with


def _launcher(tmp_path) -> K8sRunLauncher:
    """The run launcher the Helm values configure."""
    k8s = HELM["runLauncher"]["config"]["k8sRunLauncher"]
    return K8sRunLauncher(
        service_account_name=HELM["global"]["serviceAccountName"], instance_config_map="dagster-instance",
        dagster_home="/opt/dagster/dagster_home", postgres_password_secret="dagster-postgresql-secret",
        job_namespace=k8s["jobNamespace"], env_secrets=[s["name"] for s in k8s["envSecrets"]],
        load_incluster_config=False, kubeconfig_file=str(tmp_path / "kubeconfig"))


def _manifest(step_handler, launcher, step_key: str) -> dict:
    """The Job the executor's handler launches for `step_key` (as K8sStepHandler.launch_step builds it)."""
    context = step_handler._executor_container_context  # noqa: SLF001
    job_config = context.get_k8s_job_config(step_handler._executor_image, launcher)  # noqa: SLF001
    origin = _reconstructable().get_python_origin()
    args = ExecuteStepArgs(job_origin=origin, run_id=RUN_ID, step_keys_to_execute=[step_key], instance_ref=None)
    name = f"dagster-step-{get_k8s_job_name(RUN_ID, step_key)}"
    job = construct_dagster_k8s_job(
        job_config=job_config, args=args.get_command_args(skip_serialized_namedtuple=True), job_name=name,
        pod_name=name, component="step_worker", user_defined_k8s_config=context.run_k8s_config,
        labels={"dagster/job": "monthly_invoicing", "dagster/op": step_key, "dagster/run-id": RUN_ID},
        env_vars=[*args.get_command_env(), {"name": "DAGSTER_RUN_STEP_KEY", "value": step_key}])
    manifest = kubernetes.client.ApiClient().sanitize_for_serialization(job)
    # valid: the API's own model reads it back (required fields, types)
    assert kubernetes.client.ApiClient()._ApiClient__deserialize(manifest, "V1Job").spec.template  # noqa: SLF001
    return manifest


SHARD_STEPS = [f"{stage}[shard_{n}]" for n in (0, 7) for stage in (
    "deployment_usage.write_usage_shard", "deployment_quotes.write_quotes_shard",
    "tenant_invoices.write_invoices_shard")]


@pytest.mark.parametrize("step_key", SHARD_STEPS)
def test_a_shard_step_renders_as_a_job_with_the_documented_image_resources_and_secret(step_handler, tmp_path,
                                                                                      step_key):
    m = _manifest(step_handler, _launcher(tmp_path), step_key)

    assert (m["apiVersion"], m["kind"]) == ("batch/v1", "Job")
    assert len(m["metadata"]["name"]) <= 63 and m["metadata"]["name"].startswith("dagster-step-")
    assert m["metadata"]["labels"]["dagster/run-id"] == RUN_ID
    assert m["spec"]["backoffLimit"] == 0
    pod = m["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "arcadia-dagster" and pod["restartPolicy"] == "Never"
    [container] = pod["containers"]
    assert container["image"] == RUN_CONFIG["execution"]["config"]["job_image"]
    assert container["resources"] == RESOURCES
    assert container["args"][-2:] == ["api", "execute_step"]
    assert {"secretRef": {"name": SECRET}} in container["envFrom"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["ARCADIA_STEP_EXECUTOR"] == "k8s" and env["DAGSTER_RUN_STEP_KEY"] == step_key
    # the Secret's variables are never written into the manifest
    assert not set(SECRET_VARIABLES) & set(env)
    assert not any("postgresql://" in str(v) or "dop_v1_" in str(v) for v in env.values())


def test_the_helm_values_deploy_the_same_image_secret_and_resources():
    image = USER_CODE["image"]
    assert f"{image['repository']}:{image['tag']}" == RUN_CONFIG["execution"]["config"]["job_image"]
    assert USER_CODE["dagsterApiGrpcArgs"] == ["-m", "arcadia_pipelines.definitions"]
    assert {"name": "ARCADIA_STEP_EXECUTOR", "value": "k8s"} in USER_CODE["env"]
    launcher = HELM["runLauncher"]["config"]["k8sRunLauncher"]
    assert USER_CODE["envSecrets"] == launcher["envSecrets"] == [{"name": SECRET}]
    assert RUN_CONFIG["execution"]["config"]["env_secrets"] == [SECRET]
    assert USER_CODE["resources"] == launcher["runK8sConfig"]["containerConfig"]["resources"] == RESOURCES
    assert RUN_CONFIG["execution"]["config"]["step_k8s_config"]["container_config"]["resources"] == RESOURCES
    assert launcher["jobNamespace"] == RUN_CONFIG["execution"]["config"]["job_namespace"]
    # no secret value anywhere in the values file
    text = (DEPLOY / "helm-values.yaml").read_text()
    assert "postgresql://" not in text and "dop_v1_" not in text and "password:" not in text.lower()


def test_the_documented_run_config_is_valid_for_the_job_under_the_k8s_executor():
    code = ("import yaml, dagster as dg\nfrom arcadia_pipelines.definitions import defs\n"
            "job = defs.resolve_job_def('monthly_invoicing')\n"
            "dg.validate_run_config(job, yaml.safe_load(open('deploy/k8s-run-config.yaml')))\n"
            "print(job.executor_def.name)\n")
    p = subprocess.run([sys.executable, "-c", code], cwd=DEPLOY.parent, capture_output=True, text=True, timeout=120,
                       env={**os.environ, "ARCADIA_STEP_EXECUTOR": "k8s"})
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout == "k8s\n"
