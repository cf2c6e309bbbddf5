"""A command-line gRPC client on the generated stubs:

    python -m ops.call HOST:PORT package.Service/Method '{"json": "request"}'

prints the response as JSON, or the status code and message."""

import importlib
import json
import sys
from pathlib import Path

import grpc
from google.protobuf import descriptor_pool, json_format, message_factory


def _load_all_stubs() -> None:
    """Import every generated *_pb2 module, so every service is in the descriptor pool."""
    import clienttier

    for root in clienttier.__path__:
        for path in Path(root).rglob("*_pb2.py"):
            relative = path.relative_to(Path(root).parent).with_suffix("")
            importlib.import_module(".".join(relative.parts))


def main() -> None:
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    target, path = sys.argv[1], sys.argv[2]
    body = sys.argv[3] if len(sys.argv) == 4 else "{}"
    _load_all_stubs()
    service_name, _, method_name = path.partition("/")
    try:
        service = descriptor_pool.Default().FindServiceByName(service_name)
    except KeyError:
        sys.exit(f"unknown service {service_name!r}")
    method = service.methods_by_name.get(method_name)
    if method is None:
        sys.exit(f"{service_name} has no method {method_name!r}")
    request_type = message_factory.GetMessageClass(method.input_type)
    response_type = message_factory.GetMessageClass(method.output_type)
    request = json_format.Parse(body, request_type())
    with grpc.insecure_channel(target) as channel:
        call = channel.unary_unary(
            f"/{path}",
            request_serializer=request_type.SerializeToString,
            response_deserializer=response_type.FromString,
        )
        try:
            response = call(request, timeout=10)
        except grpc.RpcError as exc:
            sys.exit(f"{exc.code().name}: {exc.details()}")
    print(json.dumps(json_format.MessageToDict(response), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
