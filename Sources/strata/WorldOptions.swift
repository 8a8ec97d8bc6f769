import ArgumentParser
import Collectives
import CollectivesMPI
import Foundation

/// Options every MPI subcommand shares.
struct WorldOptions: ParsableArguments {
    @Option(name: .customLong("ranks-per-node"),
            help: "Emulate nodes of this many consecutive ranks (must divide the world size). Default: the real nodes (ranks that share memory).")
    var ranksPerNode: Int?

    func validate() throws {
        if let l = ranksPerNode, l <= 0 {
            throw ValidationError("--ranks-per-node must be positive, got \(l)")
        }
    }
}

/// An error every rank meets identically (bad input): rank 0 reports it once
/// and all ranks exit with status 2, without aborting the job.
struct InputError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

/// Runs `body` inside MPI. Input errors end every rank with status 2 and one
/// line from rank 0; any other error names the rank and aborts the whole job,
/// so no rank is left waiting in a collective.
func withWorld(ranksPerNode: Int?, intraNodeBandwidth: Double = Topology.defaultIntraNodeBandwidth,
               interNodeBandwidth: Double = Topology.defaultInterNodeBandwidth,
               _ body: (MPICommunicator) throws -> Void) throws {
    let world: MPICommunicator
    do {
        world = try MPIEnvironment.start(ranksPerNode: ranksPerNode, intraNodeBandwidth: intraNodeBandwidth,
                                         interNodeBandwidth: interNodeBandwidth)
    } catch {
        // Every rank computes the same topology error; report once.
        let rank = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_RANK"].flatMap(Int.init) ?? 0
        if rank == 0 { printError("strata: error: \(error)") }
        MPIEnvironment.finish()
        Foundation.exit(2)
    }
    do {
        try body(world)
    } catch let e as InputError {
        if world.rank == 0 { printError("strata: error: \(e)") }
        MPIEnvironment.finish()
        Foundation.exit(2)
    } catch {
        printError("strata: rank \(world.rank): error: \(error)")
        MPIEnvironment.abortWorld(code: 1)
    }
    MPIEnvironment.finish()
}

func printError(_ line: String) {
    FileHandle.standardError.write((line + "\n").data(using: .utf8)!)
}
