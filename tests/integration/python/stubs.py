"""Python stubs compiled at run time from the public protos only (patient, health, reflection)."""
import importlib
import os
import shutil
import sys
import tempfile

import grpc
from grpc_tools import protoc


def load(proto_dir, health_dir, reflection_dir):
    out = tempfile.mkdtemp()
    # The reflection proto's path starts with grpc/, which would shadow the grpc package:
    # compile a copy from another directory (the proto package, which the server sees, is unchanged).
    staged = tempfile.mkdtemp()
    os.makedirs(os.path.join(staged, "reflection_v1alpha"))
    shutil.copy(os.path.join(reflection_dir, "grpc/reflection/v1alpha/reflection.proto"), os.path.join(staged, "reflection_v1alpha"))
    for include, proto in [
        (proto_dir, "patient/v1/patient.proto"),
        (health_dir, "health/v1/health.proto"),
        (staged, "reflection_v1alpha/reflection.proto"),
    ]:
        code = protoc.main(["protoc", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}", proto])
        if code != 0:
            raise SystemExit(f"protoc failed for {proto}")
    sys.path.insert(0, out)
    names = {
        "patient_pb2": "patient.v1.patient_pb2",
        "patient_grpc": "patient.v1.patient_pb2_grpc",
        "health_pb2": "health.v1.health_pb2",
        "health_grpc": "health.v1.health_pb2_grpc",
        "reflection_pb2": "reflection_v1alpha.reflection_pb2",
        "reflection_grpc": "reflection_v1alpha.reflection_pb2_grpc",
    }
    return type("Stubs", (), {k: importlib.import_module(v) for k, v in names.items()})


def read(path):
    with open(path, "rb") as f:
        return f.read()


def channel(target, tls):
    """A plaintext channel, or TLS with a trust bundle and optionally a client certificate.

    tls: {"ca": path, "cert": path?, "key": path?, "serverName": str?}
    """
    if tls is None:
        return grpc.insecure_channel(target)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=read(tls["ca"]),
        private_key=read(tls["key"]) if tls.get("key") else None,
        certificate_chain=read(tls["cert"]) if tls.get("cert") else None,
    )
    options = [("grpc.ssl_target_name_override", tls["serverName"])] if tls.get("serverName") else []
    return grpc.secure_channel(target, credentials, options)
