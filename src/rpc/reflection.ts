import { create, type DescFile, type DescMessage, type DescService, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import {
  type ServerReflectionRequest,
  type ServerReflectionResponse,
  ServerReflectionResponseSchema,
} from "../gen/grpc/reflection/v1/reflection_pb.js";

const NOT_FOUND = 5;
const UNIMPLEMENTED = 12;

/**
 * gRPC server reflection over protobuf-es descriptors: lists the services a listener serves and hands out
 * their files (with every file they import), so grpcurl and buf curl work with no .proto files at hand.
 */
export class ReflectionIndex {
  private readonly files = new Map<string, DescFile>();
  private readonly symbols = new Map<string, DescFile>();
  private readonly encoded = new Map<string, Uint8Array>();
  readonly serviceNames: string[];

  constructor(services: readonly DescService[]) {
    this.serviceNames = services.map((s) => s.typeName);
    for (const service of services) this.addFile(service.file);
  }

  private addFile(file: DescFile): void {
    if (this.files.has(file.proto.name)) return;
    this.files.set(file.proto.name, file);
    const addMessage = (m: DescMessage) => {
      this.symbols.set(m.typeName, file);
      for (const nested of m.nestedMessages) addMessage(nested);
      for (const e of m.nestedEnums) this.symbols.set(e.typeName, file);
    };
    for (const m of file.messages) addMessage(m);
    for (const e of file.enums) this.symbols.set(e.typeName, file);
    for (const x of file.extensions) this.symbols.set(x.typeName, file);
    for (const s of file.services) {
      this.symbols.set(s.typeName, file);
      for (const method of s.methods) this.symbols.set(`${s.typeName}.${method.name}`, file);
    }
    for (const dep of file.dependencies) this.addFile(dep);
  }

  /** The answer to one reflection request. */
  answer(req: ServerReflectionRequest): ServerReflectionResponse {
    const r = req.messageRequest;
    const base = { validHost: req.host, originalRequest: req };
    switch (r.case) {
      case "listServices":
        return create(ServerReflectionResponseSchema, {
          ...base,
          messageResponse: {
            case: "listServicesResponse",
            value: { service: this.serviceNames.map((name) => ({ name })) },
          },
        });
      case "fileByFilename":
        return this.fileResponse(base, this.files.get(r.value), `file "${r.value}" not found`);
      case "fileContainingSymbol":
        return this.fileResponse(base, this.symbols.get(r.value), `symbol "${r.value}" not found`);
      case "allExtensionNumbersOfType":
        return create(ServerReflectionResponseSchema, {
          ...base,
          messageResponse: {
            case: "allExtensionNumbersResponse",
            value: { baseTypeName: r.value, extensionNumber: [] },
          },
        });
      default:
        return error(base, r.case ? NOT_FOUND : UNIMPLEMENTED, "extension not found");
    }
  }

  private fileResponse(
    base: Pick<ServerReflectionResponse, "validHost" | "originalRequest">,
    file: DescFile | undefined,
    missing: string,
  ): ServerReflectionResponse {
    if (!file) return error(base, NOT_FOUND, missing);
    const out: Uint8Array[] = [];
    const seen = new Set<string>();
    const visit = (f: DescFile) => {
      if (seen.has(f.proto.name)) return;
      seen.add(f.proto.name);
      out.push(this.encode(f));
      for (const dep of f.dependencies) visit(dep);
    };
    visit(file);
    return create(ServerReflectionResponseSchema, {
      ...base,
      messageResponse: { case: "fileDescriptorResponse", value: { fileDescriptorProto: out } },
    });
  }

  private encode(file: DescFile): Uint8Array {
    let bytes = this.encoded.get(file.proto.name);
    if (!bytes) {
      bytes = toBinary(FileDescriptorProtoSchema, file.proto);
      this.encoded.set(file.proto.name, bytes);
    }
    return bytes;
  }
}

function error(
  base: Pick<ServerReflectionResponse, "validHost" | "originalRequest">,
  errorCode: number,
  errorMessage: string,
): ServerReflectionResponse {
  return create(ServerReflectionResponseSchema, {
    ...base,
    messageResponse: { case: "errorResponse", value: { errorCode, errorMessage } },
  });
}
