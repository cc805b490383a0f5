"""An auditor's own verifier of patient-mesh audit proofs, written from the public specs only.

It shares no code with the project. What it relies on is documented:
  - RFC 9162 section 2.1: Merkle tree hashing with SHA-256, leaf = H(0x00 || data), node =
    H(0x01 || left || right); inclusion proofs verified as in 2.1.3.2, consistency proofs
    as in 2.1.4.2.
  - C2SP signed-note (c2sp.org/signed-note): note text, an empty line, then signature lines
    "— <key name> <base64(4-byte key ID || signature)>"; Ed25519 key ID =
    SHA-256(<key name> || 0x0A || 0x01 || 32-byte public key)[:4]; verifier keys written
    "<name>+<key ID, 8 hex digits>+<base64(0x01 || public key)>".
  - C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): the note text is the origin line, the
    tree size in decimal, the base64 root hash, then optional non-empty extension lines.
  - The API's leaf bytes: the UTF-8 JSON text (ECMAScript JSON.stringify, no whitespace) of
    the array [seq, time, actor, role, action, patientId, outcome, requestId, traceId,
    prevHash, hash] of the record as GET /api/v1/audit/{seq}/proof returns it; leaf index
    seq - 1.

Usage: verify_audit_proof.py CONFIG_JSON
  {"verifierKey": "<vkey>",
   "proofs": [documents of GET /api/v1/audit/{seq}/proof or /api/v1/audit/consistency],
   "checkpoints": [signed checkpoint notes the auditor holds] (optional)}
Prints {"checkpoints": [{"ok", "reason", "size"?}], "proofs": [{"ok", "reason", "kind"}]},
one result per checkpoint held and per document, in order. A held checkpoint that does not
verify is reported and not trusted. A checkpoint held at a document's tree size takes the
place of the one the document carries, which must agree with it.
Exit 0: everything verified; 1: something did not; 2: unusable input (e.g. the verifier key).
"""
import base64
import binascii
import hashlib
import json
import re
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ED25519 = 0x01  # signed-note signature type of Ed25519 keys
HASH_SIZE = 32
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space start every signature line
MAX_SIGNATURES = 100  # the spec asks verifiers to accept at least 16
DECIMAL = re.compile(r"(0|[1-9][0-9]*)")
KEY_ID_HEX = re.compile(r"[0-9a-fA-F]{8}")
# ASCII control characters (below U+0020) other than newline: a note must not contain any.
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
RECORD_FIELDS = (
    "seq", "time", "actor", "role", "action", "patientId",
    "outcome", "requestId", "traceId", "prevHash", "hash",
)


class Rejected(Exception):
    """What is wrong with a key, a note or a proof; the message is the reason reported."""


def sha256(*parts):
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.digest()


def leaf_hash(data):
    return sha256(b"\x00", data)


def node_hash(left, right):
    return sha256(b"\x01", left, right)


def decode_base64(text, what):
    """Standard base64 (RFC 4648 section 4), in its one canonical spelling."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise Rejected(f"{what} is not base64") from None
    if not text or base64.b64encode(data).decode("ascii") != text:
        raise Rejected(f"{what} is not canonical base64")
    return data


def is_key_name(name):
    """signed-note: a key name is non-empty, with no Unicode space and no '+'."""
    return bool(name) and "+" not in name and not any(c.isspace() for c in name) and not CONTROL.search(name)


def key_id(name, public_key):
    return sha256(name.encode("utf-8"), b"\n", bytes([ED25519]), public_key)[:4]


class Verifier:
    """An Ed25519 verifier key in the form of golang.org/x/mod/sumdb/note."""

    def __init__(self, vkey):
        # "<name>+<hex id>+<base64 key>": the key's base64 may itself contain '+'.
        parts = vkey.split("+", 2) if isinstance(vkey, str) else []
        if len(parts) != 3 or not is_key_name(parts[0]) or not KEY_ID_HEX.fullmatch(parts[1]):
            raise Rejected("malformed verifier key")
        name, hex_id, encoded = parts
        key = decode_base64(encoded, "the verifier key")
        if len(key) != 1 + 32 or key[0] != ED25519:
            raise Rejected("the verifier key is not an Ed25519 key")
        self.name = name
        self.key_id = key_id(name, key[1:])
        if self.key_id.hex() != hex_id.lower():
            raise Rejected("the verifier key's ID does not match its key")
        self.public_key = Ed25519PublicKey.from_public_bytes(key[1:])

    def open(self, note):
        """The note's text, when a signature of this key verifies it (signed-note "Signatures")."""
        if not isinstance(note, str) or CONTROL.search(note):
            raise Rejected("malformed note")
        try:
            note.encode("utf-8")
        except UnicodeEncodeError:
            raise Rejected("malformed note: not UTF-8") from None
        # The text ends at the last empty line, and keeps its own final newline.
        split = note.rfind("\n\n")
        if split < 0 or not note.endswith("\n"):
            raise Rejected("malformed note: no signatures")
        text = note[: split + 1]
        lines = note[split + 2 : -1].split("\n")
        if len(lines) > MAX_SIGNATURES:
            raise Rejected("malformed note: too many signatures")
        verified = False
        for line in lines:
            if not line.startswith(SIGNATURE_PREFIX):
                raise Rejected("malformed note: a signature line does not start with an em dash")
            name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
            signature = decode_base64(encoded, "a note signature")
            if not is_key_name(name) or len(signature) < 5:
                raise Rejected("malformed note: bad signature line")
            # Signatures of other keys are not ours to judge: skip them.
            if name != self.name or signature[:4] != self.key_id:
                continue
            try:
                self.public_key.verify(signature[4:], text.encode("utf-8"))
            except InvalidSignature:
                raise Rejected(f"the signature by {name} does not verify") from None
            verified = True
        if not verified:
            raise Rejected(f"no signature by {self.name}+{self.key_id.hex()}")
        return text


class Checkpoint:
    """A tlog-checkpoint note text: origin, tree size, root hash."""

    def __init__(self, text):
        lines = text[:-1].split("\n")
        if len(lines) < 3 or not lines[0]:
            raise Rejected("malformed checkpoint")
        if not DECIMAL.fullmatch(lines[1]):
            raise Rejected(f"bad tree size {lines[1]!r}")
        if "" in lines[3:]:
            raise Rejected("empty extension line in checkpoint")
        self.origin = lines[0]
        self.size = int(lines[1])
        self.root = decode_base64(lines[2], "the root hash")
        if len(self.root) != HASH_SIZE:
            raise Rejected(f"the root hash is {len(self.root)} bytes, not {HASH_SIZE}")


def verify_inclusion(index, size, leaf, path, root):
    """RFC 9162 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_hash, second_hash, path):
    """RFC 9162 2.1.4.2, for 0 < first < second. (first == second: an empty proof, equal roots.)"""
    if first == second:
        return not path and first_hash == second_hash
    if not 0 < first < second or not path:
        return False
    if first & (first - 1) == 0:  # an exact power of 2
        path = [first_hash, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_hash and sr == second_hash


# ECMA-262 QuoteJSONString: these by name, other code points below U+0020 and lone
# surrogates as \\u with four lower-case hex digits, everything else as itself.
JSON_NAMED = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}


def json_string(value):
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch in JSON_NAMED:
            out.append(JSON_NAMED[ch])
        elif code < 0x20 or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def leaf_data(record):
    """The bytes the record's leaf commits to, rebuilt from the record as the API returns it."""
    if not isinstance(record, dict) or any(not isinstance(record.get(f), str) for f in RECORD_FIELDS):
        raise Rejected("the record lacks a field, or one is not a string")
    text = "[" + ",".join(json_string(record[f]) for f in RECORD_FIELDS) + "]"
    return text.encode("utf-8", "surrogatepass")


def integer(doc, field):
    value = doc.get(field)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise Rejected(f"{field} is not a non-negative integer")
    return value


def hashes(doc, field):
    values = doc.get(field)
    if not isinstance(values, list):
        raise Rejected(f"{field} is not a list")
    decoded = [decode_base64(v, f"a hash of {field}") if isinstance(v, str) else b"" for v in values]
    if any(len(h) != HASH_SIZE for h in decoded):
        raise Rejected(f"{field} holds something other than {HASH_SIZE}-byte hashes")
    return decoded


class Auditor:
    """The verifier key and the checkpoints the auditor holds, by tree size."""

    def __init__(self, verifier):
        self.verifier = verifier
        self.held = {}

    def hold(self, note):
        checkpoint = Checkpoint(self.verifier.open(note))
        known = self.held.get(checkpoint.size)
        if known and known.root != checkpoint.root:
            raise Rejected(f"two checkpoints of {checkpoint.size} records with different roots: the log forked")
        self.held[checkpoint.size] = checkpoint
        return checkpoint

    def signed(self, note, size, what):
        """The checkpoint of `size` records: the one held, else the document's, signature checked."""
        try:
            checkpoint = Checkpoint(self.verifier.open(note))
        except Rejected as error:
            raise Rejected(f"{what}: {error}") from None
        if checkpoint.size != size:
            raise Rejected(f"{what} is of {checkpoint.size} records, not {size}")
        known = self.held.get(size)
        if known and known.root != checkpoint.root:
            raise Rejected(f"{what} has another root than the checkpoint of {size} records held: the log forked")
        return known or checkpoint

    def inclusion(self, doc):
        record = doc.get("record")
        tree_size = integer(doc, "treeSize")
        index = integer(doc, "leafIndex")
        checkpoint = self.signed(doc.get("checkpoint"), tree_size, "the checkpoint")
        data = leaf_data(record)
        seq = record["seq"]
        if not DECIMAL.fullmatch(seq) or int(seq) != index + 1:
            raise Rejected(f"leaf index {index} is not seq {seq} - 1")
        if decode_base64(doc.get("leafData", ""), "leafData") != data:
            raise Rejected(f"leafData is not the bytes of record {seq}")
        if not verify_inclusion(index, tree_size, leaf_hash(data), hashes(doc, "inclusion"), checkpoint.root):
            raise Rejected(f"record {seq}: the inclusion path does not lead to the root signed for {tree_size} records")
        return f"record {seq} is in the signed log of {tree_size} records ({checkpoint.origin})"

    def consistency(self, doc):
        first, second = integer(doc, "fromSize"), integer(doc, "toSize")
        later = self.signed(doc.get("toCheckpoint"), second, "the later checkpoint")
        # A fromCheckpoint the document carries must verify and agree with one held, if any.
        if "fromCheckpoint" in doc:
            earlier = self.signed(doc["fromCheckpoint"], first, "the earlier checkpoint")
        else:
            earlier = self.held.get(first)
        if earlier is None:
            raise Rejected(f"no checkpoint of {first} records, held or given, to check against")
        if not verify_consistency(first, second, earlier.root, later.root, hashes(doc, "consistency")):
            raise Rejected(f"the signed log of {second} records does not extend the one of {first}")
        return f"the signed log of {second} records extends the one of {first}"


def check(kind, verify, doc):
    try:
        return {"kind": kind, "ok": True, "reason": verify(doc)}
    except Rejected as error:
        return {"kind": kind, "ok": False, "reason": str(error)}


def main():
    try:
        config = json.loads(sys.argv[1])
        auditor = Auditor(Verifier(config["verifierKey"]))
    except (IndexError, KeyError, TypeError, ValueError, Rejected) as error:
        print(f"verify_audit_proof: unusable input: {error}", file=sys.stderr)
        return 2

    checkpoints = []
    for note in config.get("checkpoints", []):
        try:
            held = auditor.hold(note)
            checkpoints.append({"ok": True, "size": held.size, "reason": f"checkpoint of {held.size} records held"})
        except Rejected as error:
            checkpoints.append({"ok": False, "reason": str(error)})

    proofs = []
    for doc in config.get("proofs", []):
        if isinstance(doc, dict) and "record" in doc:
            proofs.append(check("inclusion", auditor.inclusion, doc))
        elif isinstance(doc, dict) and "toCheckpoint" in doc:
            proofs.append(check("consistency", auditor.consistency, doc))
        else:
            proofs.append({"kind": "unknown", "ok": False, "reason": "neither an inclusion nor a consistency proof"})

    print(json.dumps({"checkpoints": checkpoints, "proofs": proofs}))
    return 0 if all(r["ok"] for r in checkpoints + proofs) else 1


if __name__ == "__main__":
    sys.exit(main())
