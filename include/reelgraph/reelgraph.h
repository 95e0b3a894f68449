/* reelgraph.h: the umbrella header of the public API. */
#ifndef REELGRAPH_REELGRAPH_H
#define REELGRAPH_REELGRAPH_H

#define RG_VERSION "0.1.0"

#include "reelgraph/analytics.h"
#include "reelgraph/error.h"
#include "reelgraph/fetch.h"
#include "reelgraph/graph.h"
#include "reelgraph/io.h"
#include "reelgraph/model.h"
#include "reelgraph/nn.h"
#include "reelgraph/query.h"
#include "reelgraph/rng.h"
#include "reelgraph/seqeval.h"
#include "reelgraph/split.h"

#endif
