/// The serving commands' one-line help, shown by `strata --help` (which lists
/// them) and by `strata-serve` (which runs them): one text for both binaries.
package enum ServingHelp {
    package static let serve = "Serve a trained model (or a workload with random weights) over HTTP; `serve profile` searches its (m, t, b)."
    package static let loadgen = "Open-loop Poisson load on 127.0.0.1:PORT; with --bound-ms, DeepRecSys's search for the highest rate under it."
}
