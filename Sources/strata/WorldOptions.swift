import ArgumentParser
import CLISupport
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

func withWorld(ranksPerNode: Int?, intraNodeBandwidth: Double = Topology.defaultIntraNodeBandwidth,
               interNodeBandwidth: Double = Topology.defaultInterNodeBandwidth,
               _ body: (MPICommunicator) throws -> Void) -> Never {
    MPIEnvironment.run(ranksPerNode: ranksPerNode, launchedRank: launchedRank,
                       intraNodeBandwidth: intraNodeBandwidth, interNodeBandwidth: interNodeBandwidth, body)
}

