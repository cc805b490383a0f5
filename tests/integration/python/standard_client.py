"""A non-Node gRPC client (Python's C-core implementation) talking to patient-rpc.

It knows only the public protos: patient.proto, and the standard health and reflection
protos. Prints one JSON object with what it found; the vitest suite asserts on it.
Usage: standard_client.py CONFIG_JSON
  {"target", "protoDir", "healthDir", "reflectionDir", "tls": {"ca", "cert", "key"} | null, "token"}
"""
import json
import sys

import grpc
from google.protobuf import descriptor_pb2

import stubs

config = json.loads(sys.argv[1])
s = stubs.load(config["protoDir"], config["healthDir"], config["reflectionDir"])

result = {}
with stubs.channel(config["target"], config.get("tls")) as channel:
    health = s.health_grpc.HealthStub(channel)
    result["health"] = {
        name or "(server)": s.health_pb2.HealthCheckResponse.ServingStatus.Name(
            health.Check(s.health_pb2.HealthCheckRequest(service=name), timeout=5).status
        )
        for name in ["", "patient.v1.PatientService"]
    }

    reflection = s.reflection_grpc.ServerReflectionStub(channel)
    requests = [
        s.reflection_pb2.ServerReflectionRequest(list_services=""),
        s.reflection_pb2.ServerReflectionRequest(file_containing_symbol="patient.v1.PatientService"),
    ]
    try:
        responses = list(reflection.ServerReflectionInfo(iter(requests), timeout=5))
        result["services"] = sorted(x.name for x in responses[0].list_services_response.service)
        methods = []
        for raw in responses[1].file_descriptor_response.file_descriptor_proto:
            file = descriptor_pb2.FileDescriptorProto.FromString(raw)
            for service in file.service:
                if service.name == "PatientService":
                    methods = sorted(m.name for m in service.method)
        result["reflectedMethods"] = methods
    except grpc.RpcError as error:
        result["reflection"] = {"code": error.code().name}

    if config.get("skipPatients"):
        print(json.dumps(result))
        sys.exit(0)
    patients = s.patient_grpc.PatientServiceStub(channel)
    caller = [("authorization", f"Bearer {config['token']}"), ("x-request-id", "py-1")]
    page = patients.ListPatients(s.patient_pb2.ListPatientsRequest(page_size=1), metadata=caller, timeout=5)
    first = page.patients[0]
    got = patients.GetPatient(s.patient_pb2.GetPatientRequest(id=first.id), metadata=caller, timeout=5)
    result["patient"] = {"id": got.id, "sameAsListed": got.id == first.id, "trialId": got.trial_id}
    try:
        patients.GetPatient(s.patient_pb2.GetPatientRequest(id="not-a-uuid"), metadata=caller, timeout=5)
    except grpc.RpcError as error:
        result["invalid"] = {"code": error.code().name, "details": error.details()}
    try:
        patients.GetPatient(s.patient_pb2.GetPatientRequest(id=first.id), timeout=5)
    except grpc.RpcError as error:
        result["anonymous"] = {"code": error.code().name}

    # Input patient-api would refuse, sent straight to patient-rpc: it must refuse it too.
    def refused(call, request):
        try:
            call(request, metadata=caller, timeout=5)
            return {"code": "OK"}
        except grpc.RpcError as error:
            field = dict(error.trailing_metadata() or ()).get("x-field-path")
            return {"code": error.code().name, "details": error.details(), "field": field}

    result["refused"] = {
        f"completed_at={when}": refused(
            patients.SubmitQuestionnaire,
            s.patient_pb2.SubmitQuestionnaireRequest(
                patient_id=first.id,
                submission_id=submission,
                instrument=s.patient_pb2.INSTRUMENT_GAD7,
                answers=[0] * 7,
                completed_at=when,
            ),
        )
        for when, submission in [
            ("1", "0c5e5f5e-1111-4111-8111-000000000001"),
            ("9999-01-01T00:00:00Z", "0c5e5f5e-1111-4111-8111-000000000002"),
            ("2026-01-31 09:30", "0c5e5f5e-1111-4111-8111-000000000003"),
        ]
    }
    result["refused"]["given_name with NUL"] = refused(
        patients.CreatePatient,
        s.patient_pb2.CreatePatientRequest(
            trial_id="TRIAL-PY",
            site_id="SITE-001",
            subject_code="S-PY-NUL",
            given_name="A\x00b",
            family_name="Py",
            birth_date="1980-01-01",
            sex="female",
        ),
    )

print(json.dumps(result))
