@_exported import Cluster
