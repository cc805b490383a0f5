"""An attacker's gRPC client (Python's C core): tries patient-rpc with the credentials given.

Usage: probe_client.py CONFIG_JSON
  {"target", "protoDir", "healthDir", "reflectionDir", "patientId",
   "cases": [{"name", "tls": {"ca", "cert"?, "key"?} | null, "metadata": [[key, value], ...]}]}
Each case opens its own channel and tries a read, a listing, an audit listing and a write;
prints {case name: {call: status code name, or "OK"}}.
"""
import json
import sys

import grpc

import stubs

config = json.loads(sys.argv[1])
s = stubs.load(config["protoDir"], config["healthDir"], config["reflectionDir"])
p = s.patient_pb2


def attempt(call):
    try:
        call()
        return "OK"
    except grpc.RpcError as error:
        return error.code().name


results = {}
for case in config["cases"]:
    with stubs.channel(config["target"], case.get("tls")) as channel:
        stub = s.patient_grpc.PatientServiceStub(channel)
        metadata = [tuple(pair) for pair in case.get("metadata", [])]
        options = {"metadata": metadata, "timeout": 5}
        results[case["name"]] = {
            "GetPatient": attempt(lambda: stub.GetPatient(p.GetPatientRequest(id=config["patientId"]), **options)),
            "ListPatients": attempt(lambda: stub.ListPatients(p.ListPatientsRequest(page_size=5), **options)),
            "ListAuditRecords": attempt(
                lambda: stub.ListAuditRecords(p.ListAuditRecordsRequest(patient_id=config["patientId"]), **options)
            ),
            "CreatePatient": attempt(
                lambda: stub.CreatePatient(
                    p.CreatePatientRequest(
                        trial_id="TRIAL-9999",
                        site_id="SITE-999",
                        subject_code="SUBJ-9999",
                        given_name="Mallory",
                        family_name="Intruder",
                        birth_date="1980-01-01",
                        sex="unknown",
                    ),
                    **options,
                )
            ),
        }
print(json.dumps(results))
