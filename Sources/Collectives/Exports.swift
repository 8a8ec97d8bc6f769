@_exported import Cluster
// The error types and JSON encoding every module meets through the Communicator live in RunKit.
@_exported import RunKit
