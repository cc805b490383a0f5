"""A non-Node gRPC client (Python's C-core implementation) talking to patient-rpc.

It knows only the public protos: patient.proto, and the standard health and reflection
protos. Prints one JSON object with what it found; the vitest suite asserts on it.
Usage: standard_client.py TARGET PROTO_DIR HEALTH_PROTO_DIR REFLECTION_PROTO_DIR
"""
import importlib
import json
import os
import shutil
import sys
import tempfile

import grpc
from google.protobuf import descriptor_pb2
from grpc_tools import protoc

target, proto_dir, health_dir, reflection_dir = sys.argv[1:5]
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
patient_pb2 = importlib.import_module("patient.v1.patient_pb2")
patient_grpc = importlib.import_module("patient.v1.patient_pb2_grpc")
health_pb2 = importlib.import_module("health.v1.health_pb2")
health_grpc = importlib.import_module("health.v1.health_pb2_grpc")
reflection_pb2 = importlib.import_module("reflection_v1alpha.reflection_pb2")
reflection_grpc = importlib.import_module("reflection_v1alpha.reflection_pb2_grpc")

result = {}
with grpc.insecure_channel(target) as channel:
    health = health_grpc.HealthStub(channel)
    result["health"] = {
        name or "(server)": health_pb2.HealthCheckResponse.ServingStatus.Name(
            health.Check(health_pb2.HealthCheckRequest(service=name), timeout=5).status
        )
        for name in ["", "patient.v1.PatientService"]
    }

    reflection = reflection_grpc.ServerReflectionStub(channel)
    requests = [
        reflection_pb2.ServerReflectionRequest(list_services=""),
        reflection_pb2.ServerReflectionRequest(file_containing_symbol="patient.v1.PatientService"),
    ]
    responses = list(reflection.ServerReflectionInfo(iter(requests), timeout=5))
    result["services"] = sorted(s.name for s in responses[0].list_services_response.service)
    methods = []
    for raw in responses[1].file_descriptor_response.file_descriptor_proto:
        file = descriptor_pb2.FileDescriptorProto.FromString(raw)
        for service in file.service:
            if service.name == "PatientService":
                methods = sorted(m.name for m in service.method)
    result["reflectedMethods"] = methods

    patients = patient_grpc.PatientServiceStub(channel)
    actor = [("x-actor-sub", "python-client"), ("x-actor-roles", "clinician"), ("x-request-id", "py-1")]
    page = patients.ListPatients(patient_pb2.ListPatientsRequest(page_size=1), metadata=actor, timeout=5)
    first = page.patients[0]
    got = patients.GetPatient(patient_pb2.GetPatientRequest(id=first.id), metadata=actor, timeout=5)
    result["patient"] = {"id": got.id, "sameAsListed": got.id == first.id, "trialId": got.trial_id}
    try:
        patients.GetPatient(patient_pb2.GetPatientRequest(id="not-a-uuid"), metadata=actor, timeout=5)
    except grpc.RpcError as error:
        result["invalid"] = {"code": error.code().name, "details": error.details()}
    try:
        patients.GetPatient(patient_pb2.GetPatientRequest(id=first.id), timeout=5)
    except grpc.RpcError as error:
        result["anonymous"] = {"code": error.code().name}

print(json.dumps(result))
