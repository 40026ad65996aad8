// scatter-gather: a map-reduce word count over generated text.
//
// The text is generated from a fixed seed (a vocabulary of made-up words, common ones more often,
// as in real text), so every run counts the same text. A coordinator scatters it in chunks of
// 10,000 words to the mappers (a request each); a mapper counts the words of its chunk, splits
// the counts by word among the reducers (each word always goes to the same reducer) and answers
// the coordinator, which then sends it its next chunk (two at a time per mapper). A reducer merges
// what it gets and, once it has heard about every chunk, sends its share of the counts to the
// coordinator, which gathers them into the result.
//
//   --agents    mappers (default 16); there is one reducer per four mappers (at least one)
//   --messages  words of text (default 8,000,000)
//   --seconds   does not apply: the run counts the whole text
//   invariant   the gathered counts equal a single-threaded count of the same text, word by word

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "jaegis/jaegis.hpp"
#include "jaegis/samples/topology.hpp"

namespace jaegis::samples {

namespace {

using namespace std::chrono_literals;
using word_counts = std::unordered_map<std::string_view, std::uint64_t>;
using count_list = std::vector<std::pair<std::string_view, std::uint64_t>>;

// Words per chunk: a chunk is counted in some hundreds of microseconds, long next to the cost of
// its messages, short enough that the chunks spread evenly over the workers.
constexpr std::uint64_t chunk_words = 10'000;
constexpr std::uint64_t mappers_per_reducer = 4;
// Chunks a mapper has at once: one to count and one waiting, so that it never idles while its
// next chunk travels, and a chunk's latency is its counting time, not a queue's length.
constexpr std::size_t chunks_per_mapper = 2;
constexpr std::size_t vocabulary_size = 5'000;
constexpr std::uint64_t seed = 20'240'501;
constexpr auto map_timeout = 60s;  // a chunk is counted in well under a second

// ---- the text ----

struct text {
  std::string chars;
  std::vector<std::string_view> chunks;
};

struct splitmix {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t x = (state += 0x9e3779b97f4a7c15ull);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  }
};

text generate_text(std::uint64_t words) {
  static constexpr std::string_view syllables[] = {"ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo",
                                                   "ze", "an", "el", "or", "us", "ba", "do", "fi"};
  splitmix rng{seed};
  std::vector<std::string> vocabulary(vocabulary_size);
  for (std::string& w : vocabulary) {
    const std::uint64_t length = 1 + rng.next() % 4;
    for (std::uint64_t i = 0; i < length; ++i)
      w += syllables[rng.next() % std::size(syllables)];
  }
  text t;
  t.chars.reserve(words * 8);
  std::vector<std::size_t> chunk_ends;
  for (std::uint64_t i = 0; i < words; ++i) {
    // The smaller of two draws: low-numbered words are common, as in natural language.
    const std::uint64_t pick = std::min(rng.next(), rng.next()) % vocabulary_size;
    t.chars += vocabulary[pick];
    t.chars += (i + 1) % 12 == 0 ? '\n' : ' ';
    if ((i + 1) % chunk_words == 0 || i + 1 == words) chunk_ends.push_back(t.chars.size());
  }
  // Views only now that the characters no longer move.
  std::size_t begin = 0;
  for (std::size_t end : chunk_ends) {
    t.chunks.push_back(std::string_view(t.chars).substr(begin, end - begin));
    begin = end;
  }
  return t;
}

// Calls f(word) for each word of s (words are separated by spaces and newlines).
template <class F>
void for_each_word(std::string_view s, F&& f) {
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n'))
      ++i;
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\n')
      ++j;
    if (j > i) f(s.substr(i, j - i));
    i = j;
  }
}

std::size_t reducer_of(std::string_view word, std::size_t reducers) {
  return std::hash<std::string_view>{}(word) % reducers;
}

// ---- the messages ----

struct map_chunk {
  std::uint32_t chunk;
  std::string_view words;
};
struct chunk_mapped {  // the answer to map_chunk
  std::uint64_t words;
};
struct partial_counts {
  count_list counts;
};
struct reduced {
  count_list counts;
};
struct stop {};

struct shared {
  progress* meter;
  word_counts result;         // written by the coordinator
  latency_histogram latency;  // likewise
  std::string failure;        // likewise: a map request that failed
};

// ---- the actors ----

struct start {
  std::size_t mappers;
  std::size_t reducers;
};

struct coordinator;

struct reducer : actor<reducer, partial_counts> {
  reducer(ref<coordinator> c, std::size_t chunks) : gatherer(std::move(c)), expected(chunks) {}
  void on(partial_counts& p);  // below: it sends to the coordinator
  ref<coordinator> gatherer;
  std::size_t expected;
  std::size_t received = 0;
  word_counts counts;
};

struct mapper : actor<mapper, map_chunk, stop> {
  explicit mapper(std::vector<ref<reducer>> r) : reducers(std::move(r)) {}

  chunk_mapped on(map_chunk& m) {
    word_counts counts;
    std::uint64_t words = 0;
    for_each_word(m.words, [&](std::string_view w) {
      ++counts[w];
      ++words;
    });
    // One message to every reducer, even an empty one: a reducer knows it is done when it has
    // heard about every chunk.
    std::vector<count_list> parts(reducers.size());
    for (const auto& [word, n] : counts)
      parts[reducer_of(word, reducers.size())].emplace_back(word, n);
    for (std::size_t r = 0; r < reducers.size(); ++r)
      reducers[r].send(partial_counts{std::move(parts[r])});
    return {words};
  }

  void on(stop&) { quit(); }

  std::vector<ref<reducer>> reducers;
};

struct coordinator : actor<coordinator, start, reduced> {
  coordinator(shared* s, const text* t) : state(s), input(t) {}

  // Spawns the mappers and reducers from here, on a worker: their start then queues on this
  // worker's deque, where the first chunks find them at once (spawned from the main thread, they
  // would start from the global queue, which a busy worker visits only now and then).
  void on(start& s) {
    std::vector<ref<reducer>> reducers;
    for (std::size_t r = 0; r < s.reducers; ++r)
      reducers.push_back(system().spawn<reducer>(self(), input->chunks.size()));
    for (std::size_t m = 0; m < s.mappers; ++m)
      mappers.push_back(system().spawn<mapper>(reducers));
    reducers_left = s.reducers;
    for (std::size_t m = 0; m < mappers.size(); ++m) {
      for (std::size_t k = 0; k < chunks_per_mapper; ++k)
        scatter_next(m);
    }
  }

  // Scatter: the next chunk to mapper m, which gets another one each time it reports.
  void scatter_next(std::size_t m) {
    if (next_chunk == input->chunks.size()) return;
    const std::uint32_t c = next_chunk++;
    const clock_type::time_point sent = clock_type::now();
    request(mappers[m], map_chunk{c, input->chunks[c]}, map_timeout)
        .then(
            [this, sent, m](chunk_mapped& done) {
              state->latency.record(static_cast<std::uint64_t>((clock_type::now() - sent).count()));
              state->meter->add(done.words);
              scatter_next(m);
            },
            [this](const error& e) { state->failure = e.to_string(); });
  }

  // Gather: each reducer's share of the words (no word is in two shares).
  void on(reduced& r) {
    for (const auto& [word, n] : r.counts)
      state->result.emplace(word, n);
    if (--reducers_left > 0) return;
    for (const ref<mapper>& m : mappers)
      m.send(stop{});
    quit();
  }

  shared* state;
  const text* input;
  std::vector<ref<mapper>> mappers;
  std::uint32_t next_chunk = 0;
  std::size_t reducers_left = 0;
};

void reducer::on(partial_counts& p) {
  for (const auto& [word, n] : p.counts)
    counts[word] += n;
  if (++received < expected) return;
  count_list all(counts.begin(), counts.end());
  gatherer.send(reduced{std::move(all)});
  quit();
}

std::string validate(const topology_params& p) {
  if (p.agents > 100'000) return "--agents must be at most 100000 mappers";
  return {};
}

word_counts count_alone(const text& t) {
  word_counts counts;
  for_each_word(t.chars, [&](std::string_view w) { ++counts[w]; });
  return counts;
}

outcome run(actor_system& system, const topology_params& params, progress& meter) {
  const text input = generate_text(params.messages);
  shared state{&meter, {}, {}, {}};
  meter.set_total(params.messages);
  const std::size_t mapper_count = params.agents;
  const std::size_t reducer_count = std::max<std::size_t>(1, mapper_count / mappers_per_reducer);

  const clock_type::time_point start_time = clock_type::now();
  const ref<coordinator> boss = system.spawn<coordinator>(&state, &input);
  boss.send(start{mapper_count, reducer_count});
  system.await_all_actors_done();
  const auto elapsed = clock_type::now() - start_time;

  // The reference: the same text counted by this thread alone.
  const clock_type::time_point alone_start = clock_type::now();
  const word_counts expected = count_alone(input);
  const auto alone = clock_type::now() - alone_start;

  std::uint64_t gathered_words = 0;
  for (const auto& [word, n] : state.result)
    gathered_words += n;
  outcome o;
  o.elapsed = elapsed;
  o.completed = gathered_words;
  const std::uint64_t chunks = input.chunks.size();
  // Per chunk a request, its answer and a message to each reducer; a share from each reducer;
  // and a stop to each mapper.
  o.messages = chunks * (2 + reducer_count) + reducer_count + mapper_count;
  o.latency = std::move(state.latency);
  o.invariant_held =
      state.failure.empty() && state.result == expected && gathered_words == params.messages;
  o.invariant = std::to_string(gathered_words);
  o.invariant += " words in ";
  o.invariant += std::to_string(state.result.size());
  o.invariant += " distinct ones gathered from ";
  o.invariant += std::to_string(reducer_count);
  o.invariant += " reducers; a single-threaded count of the same text ";
  o.invariant += state.result == expected ? "agrees word by word" : "DISAGREES";
  if (!state.failure.empty()) {
    o.invariant += "; a map request failed: ";
    o.invariant += state.failure;
  }
  o.figures = {
      {"chunks", static_cast<double>(chunks)},
      {"reducers", static_cast<double>(reducer_count)},
      {"single-threaded count, ms", std::chrono::duration<double, std::milli>(alone).count()},
  };
  return o;
}

}  // namespace

extern const topology scatter_gather_topology;
const topology scatter_gather_topology{
    .name = "scatter-gather",
    .summary = "map-reduce word count: mappers count chunks of text, reducers merge",
    .unit = "words",
    .latency_of = "a chunk sent to a mapper to its count reported",
    .agents_help = "mappers, one reducer per four",
    .default_agents = 16,
    .messages_help = "words of text",
    .default_messages = 8'000'000,
    .time_limited = false,
    .validate = validate,
    .run = run,
};

}  // namespace jaegis::samples
