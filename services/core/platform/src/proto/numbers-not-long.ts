// Must run before the generated code loads: without Long, protobufjs reads int64 fields as JS numbers
// (our 64-bit fields are ms timestamps, well inside 2^53) and never allocates a Long on any path.
import protobuf from 'protobufjs/minimal.js';

protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();
