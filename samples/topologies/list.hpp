// The topologies jaegis-samples knows, in the order --help lists them: one line each.
// JAEGIS_TOPOLOGY(x) names the `const jaegis::samples::topology x_topology` that
// samples/topologies/<name>.cpp defines. To add one, write that file and add its line here.
JAEGIS_TOPOLOGY(contract_net)
JAEGIS_TOPOLOGY(pingpong)
JAEGIS_TOPOLOGY(ring)
JAEGIS_TOPOLOGY(chameneos)
JAEGIS_TOPOLOGY(scatter_gather)
JAEGIS_TOPOLOGY(pipeline)
JAEGIS_TOPOLOGY(blackboard)
JAEGIS_TOPOLOGY(supervision)
