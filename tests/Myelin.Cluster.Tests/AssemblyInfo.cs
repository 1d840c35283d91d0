// Every test here starts a cluster of 3-5 .NET processes (about 7 s of CPU each to start) and asserts
// timings (failover within 10 s, a woken /sync within 5 s). Run side by side on CI's 2 cores they
// would starve each other's processes and measure the machine instead of Myelin, so they run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
