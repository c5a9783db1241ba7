"""What kind of answer a question asks for: the reading of the QUESTION (whether passages state such a fact is
`vectorstore.passage_facts`).

`detect(question)` names the kind: `price`, `number` (a count or limit with a unit), `duration`, `date`,
`version`, `comparison`, `name`, `yesno`, `howto`, `definition` or `other`. It reads how the question ASKS, not
which words it mentions: "How much does X cost?" and "what's the price per GB?" ask for a price, "How do I keep
costs down?" is a how-to; "Is there a limit on ...?" and "the largest ..." ask for a number, "a monthly maximum"
in a task does not; "why ...?" asks a reason, and "how long" of a string or an ID its length; "X versus Y" with
nothing to compare them by asks what each is (a definition). The specific kinds come first. A question no pattern
decides is read by its asked fact noun (`vectorstore.fact_nouns.asked_noun`).
`qualifiers(question)` names what else it asks of the fact (`QUALIFIERS`, each a question pattern and the fact
pattern a sentence meets it by): a default, a limit, an origin (the release that first shipped something), an end
(retirement, deprecation), a comparison. `counted(question)` names what a number question counts, `checked_as`
the group a question is evidence-checked in ("origin": a name asked by who made or first had something), and
`unknown_names` the names it gives that the index never mentions.
`key_terms(question)` gives the question's tokens (the shared tokenizer's stems) without the words that only say
what kind of fact is asked ("cost", "version", "how many"); `fact_terms` those a sentence stating the fact should
hold. All patterns are general; none names a product, a page or a question.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from functools import lru_cache

from vectorstore.fact_nouns import ENDS_PHRASE, asked, asked_noun
from vectorstore.text import tokenize

KINDS = ("price", "number", "duration", "date", "version", "comparison", "name", "yesno", "howto", "definition",
         "other")

# ---------------------------------------------------------------- detecting the kind of question
NUM_WORD = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|" \
           r"fifty|sixty|ninety|hundred|thousand|million|billion|a few|several|\d[\d,]*(?:\.\d+)?)"
TIME_UNIT = r"(?:milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|hours?|hrs?|h|days?|weeks?|months?|years?)"

# A price is ASKED for ("how much does X cost", "what does X charge", "the price per GB", "is there a fee"), not
# merely mentioned ("how do I keep costs down", "use spot instances for cost", "without paying for X").
# "rate" is a price only with a money word before it ("the hourly rate", "dollar rate"); a learning, error, sampling or
# transfer rate, or a rate limit, is a number.
_PRICE_WORD = (r"(?:cost|costs|price|prices|pricing|priced|fee|fees|charge|charges|"
               r"(?:(?:hourly|daily|monthly|yearly|annual|dollar|usd|on-demand|spot|reserved|billing) rates?))")
_Q_PRICE = re.compile(
    r"\bhow much (?:does|do|did|will|would|is|are|was|were|should|can|'s)\b[^?,;]*\b(?:cost|charge|charged|pay|"
    r"bill|billed|run me|set me back)\b|"
    r"\b(?:does|do|did|will|would) (?:[\w-]+ ){1,4}?cost(?: me| us)?\s*(?:\?|$|\bper\b|\bextra\b|\bmore\b)|"
    r"\bwhat (?:does|do|did|will|would|should)\b[^?,;]*\b(?:cost|charge)(?: me| us)?\s*"
    r"(?:\?|$|\bper\b|\bfor\b|\bto [a-z]+\b)|"
    r"\bwhat (?:would|will|do|does|should|did) (?:i|we|you|it) (?:\w+ )?(?:pay|be (?:charged|billed))\b|"
    # what a thing costs asked by what it does to the payer: "what do X run me", "what does X add to the bill"
    r"\bwhat (?:does|do|did|will|would|should)\b[^?;]*\b(?:runs? (?:me|us|you)|sets? (?:me|us|you) back|"
    r"adds? (?:to|onto) (?:the|my|our|your|an?) (?:\w+ )?(?:bill|invoice|costs?|charges?))\b|"
    rf"\b{_PRICE_WORD} (?:per|an?|each|every)\b|"
    r"\b(?:fee|fees|charge|charges|price|cost|bill|bills|billed)\b[^?.;]*\bhow much\b|"
    rf"\bwhat(?:'s| is| are| was| were) (?:the |its |their )?(?:\w+[ -]){{0,3}}?(?:{_PRICE_WORD}|price tag)\b|"
    rf"\b(?:and|the) (?:\w+ ){{0,2}}?(?:price|cost|fee)s? of\b|"
    r"\b(?:is|are) (?:there|it) (?:an? )?(?:\w+ )?(?:fee|charge|cost)s?\b|\bhow (?:expensive|cheap|pricey)\b|"
    r"[$€£]\s?\d|\b(?:dollars|usd|eur) per\b|\b(?:dollar|usd|euro) (?:amount|bill|figure|cost|price|total)s?\b|"
    # the price of a unit asked bare ("kinesis on-demand mode: how much per GB ingested?")
    r"\bhow much (?:per|for each|for every)\b(?!-)", re.I)
# "How much cheaper/faster ...", "how many times larger ...": the answer is a number (a ratio or a difference).
_Q_COMPARE_AMOUNT = re.compile(
    r"\bhow (?:much|many times) (?:(?!(?:per|under|over|after)\b)\w+er|more|less|fewer)\b|"
    r"\bby (?:how much|what (?:factor|percentage))\b|"
    # how much something cuts an amount ("how much can X cut the bill of materials?"): a share or a difference, not
    # a price, whatever the amount is
    r"\bhow much (?:can|could|does|do|did|will|would)\b[^?;]*\b(?:cut|cuts|reduce|reduces|lower|lowers|shrink|"
    r"shrinks|decrease|decreases|trim|trims)\b", re.I)
_Q_HOW_LONG = re.compile(
    r"\bhow long\b|\bhow many (?:milliseconds|seconds|minutes|hours|days|weeks|months|years)\b|"
    r"\bhow much (?:\w+ )?time\b|\bhow often\b|"
    r"\bnumber of (?:milliseconds|seconds|minutes|hours|days|weeks|months|years)\b|"
    # the unit asked at the end ("typical pod boot time in seconds?")
    r"\bin (?:milliseconds|seconds|minutes|hours|days|weeks|months|years)\s*\?|"
    r"\b(?:the|its) (?:longest|shortest)\b(?! \w+ (?:name|word|text|prompt))|"
    # a telegraphic question opening on the time it asks for ("Typical GPU-hours to fit ...?", "Minutes needed for
    # ...?")
    r"(?:^\s*|[:;]\s*)(?:(?:typical|average|expected|approximate|rough|total)\s+)?(?:[\w]+-)?(?:seconds|minutes|hours|"
    r"days|weeks|months|years)\s+(?:to|for|of|needed|required|per)\b", re.I)
# "How long" asked of a piece of text (a string, an ID, a name, a key) asks for its length, a number of characters.
_Q_TEXT_LENGTH = re.compile(
    r"\bhow long (?:(?:is|are|can|should|must|may|will|would|does|do)\s+)?(?:(?:an?|the|my|our|your|its|their|each|"
    r"one)\s+)?(?:[\w-]+\s+){0,3}?(?:strings?|ids?|identifiers?|names?|arns?|keys?|passwords?|tokens? strings?|"
    r"labels?|tags?|prefix(?:es)?|suffix(?:es)?|paths?|urls?|fields?|values?)\b", re.I)
_Q_DURATION = re.compile(
    r"\b(?:duration|timeout|time ?out|retention period|ttl|time limit|expiry|expiration time|cooldown|interval|"
    r"frequency|(?:time|point) objectives?|retention|time to (?:live|recover))\b|\bhow (?:quickly|fast|soon)\b|"
    # a delay asked by its size ("ballpark delay?", "typical latency for a cold start?")
    r"\b(?:ballpark|typical|expected|average|rough|approximate)\s+(?:delay|latency|wait|lag)s?\b", re.I)
_Q_DATE = re.compile(
    r"\bwhat (?:year|date|day|month)\b|\bwhich (?:year|date|day|month)\b|\bin what year\b|"
    r"(?:^\s*|[:;]\s*)(?:the\s+|in\s+)?(?:year|date|month)\s+(?:the|that|when|in which|it|they|this|\w+ (?:was|were)"
    r")\b|"
    r"\bwhat(?:'s| is| was| were)? (?:the |its |their )?(?:[\w'-]+ ){1,3}?(?:year|date)s?\b"
    r"(?!\s+(?:format|column|range|type|field|index|string|parser|parsing|time|feature|part|value)s?\b)|"
    r"\bhow old\b|"
    r"\bwhen (?:was|were|did|will)\b|\bsince when\b|\brelease date\b|\bend[- ]of[- ](?:life|support)\b|"
    r"\b(?:deadline|eol)\b|"
    r"\bwhen (?:is|are|does|do)\b[^?]*\b(?:released?|retired?|deprecated|sunset|launch(?:ed)?|expires?|ends?|"
    r"available|shut ?down|discontinued|removed|stop|stops|support(?:ed)?|go(?:es)? away|replaced)\b", re.I)
_Q_VERSION = re.compile(
    r"\b(?:which|what|minimum|earliest|oldest|supported|required)\s+"
    r"(?:(?!(?:is|are|was|were|does|do|did|can|could|should|would|will|of|between)\b)[\w.+#-]+\s+){0,3}"
    r"(?:versions?|releases?)\b|"
    r"\bsince (?:which|what) (?:version|release)\b|"
    r"\bwhat(?:'s| is| are) the (?:newest|latest|current|most recent|oldest|earliest) (?:\w+ )?(?:version|release)s?\b",
    re.I)
# A limit word asks for a number when it names the value asked about ("the maximum payload", "is there a limit on",
# "what's the size cap"), not when it is part of a task ("roll readings up into a monthly maximum").
_Q_NUMBER = re.compile(
    r"\bhow (?:many|much|big|large|small|high|low|far)\b|"
    r"\b(?:the|its|their|any|what|which|is there an?|are there|what(?:'s| is| are))\s+(?:[\w-]+\s+){0,2}?"
    r"(?:limit|limits|quota|"
    r"quotas|maximum|max|minimum|min|size|sizes|capacity|threshold|number of|count of|ceiling|cap|(?:upper |lower )?"
    r"bounds?)\b|"
    r"\b(?:maximum|max|minimum|min|default)\s+(?:number|count|amount) of\b|"
    r"(?:^\s*|[:;]\s*)(?:the\s+)?(?:number|count|amount) of\b|"
    r"\b(?:limited to|at most|at least|up to) (?:how|what)\b|\bwhat (?:port|percentage|percent|ratio)\b|"
    # a share asked by name, after what it measures ("what uptime sla percentage", "what share of candidates")
    r"\bwhat (?:[\w-]+ ){1,3}(?:percentage|percent)\b|\bwhat (?:share|proportion|fraction) of\b|"
    # whether a bound takes an amount just named ("2 million sensors - does it allow that many?")
    r"\b(?:allows?|supports?|handles?|accepts?|takes?) (?:that|this|so) (?:many|much)\b|"
    r"\b(?:largest|biggest|smallest|highest|lowest|fewest|heaviest)\b|\bthe (?:most|fewest) \w+ (?:i|we|you|it) can\b|"
    # "the most <things>" (a plural noun, not "the most popular"): how many
    r"\bthe (?:most|fewest) (?!\w+(?:ss|ous|ful|ive|ic|al|ly)\b)[a-z]{3,}s\b|"
    r"\bwhat (?:numeric|numerical) value\b|"
    # a telegraphic question naming a bound first ("Max notebook instances per account: is there a number?")
    r"(?:^\s*|[:;]\s*)(?:the\s+)?(?:max|maximum|min|minimum) [a-z]|\bis there an? (?:number|figure|count)\b|"
    # ... or naming the bound by a noun of its own ("Quota question: ceiling on shadows per thing?") or the most of a
    # plural ("IoT Analytics quota: most activities allowed in one pipeline?")
    r"(?:^\s*|[:;]\s*)(?:the\s+)?(?:ceiling|cap|limit|quota|(?:upper|lower) (?:bound|limit))s? (?:on|of|for)\b|"
    r"(?:^\s*|[:;]\s*)(?:most|fewest) (?!\w+(?:ss|ous|ful|ive|ic|al|ly)\b)[a-z]{3,}s\b", re.I)
_Q_HOWTO = re.compile(
    r"(?:^|[,:;.!?]\s*|\band\s+)how (?:do|does|can|could|should|would|to|am|is|are|did)\b|"
    r"\bhow (?:do|can|should) (?:i|we|you)\b|"
    r"\bhow to\b|\bsteps? (?:to|for)\b|\bwhat(?:'s| is) the (?:best |right |recommended )?(?:way|command|syntax|"
    r"procedure)\b|\bwhat (?:command|commands|flag|option|setting|parameter)s?\b[^?]*\b(?:do|should|can|to)\b|"
    r"\bwalk me through\b|\bset up\b|\bconfigure\b", re.I)
_Q_DEFINITION = re.compile(
    r"^\s*(?:what|who)(?:'s| is| are| was| were| does)\s+(?:an?\s+|the\s+)?[\w.\-+# ]{1,40}\??\s*$|"
    r"\bwhat does [\w.\-+# ]{1,40} (?:mean|stand for|do)\b|\b(?:define|definition of|meaning of|explain what|"
    r"difference between|purpose of)\b|\bwhat (?:is|are) (?:an?|the) [\w.\-+# ]{1,40} (?:for|used for)\b", re.I)
# Kinds of thing a "what/which <thing>" question asks the name of (each pattern below adds its own; a plural "s" is
# allowed after any).
_THINGS = ("tool|service|library|package|command|function|method|class|module|operator|algorithm|file|format|api|"
           "endpoint|metric")
_Q_NAME = re.compile(
    rf"^\s*(?:which|who)\b|\bwhat (?:is|are) (?:the )?names?\b|\bwhat (?:{_THINGS}|libraries|framework|instance type|"
    r"language|database|engine)s?\b|\bcalled\b|\bnamed?\b|"
    r"^\s*what (?:[a-z-]+ ){1,2}(?:does|do|did|should|must|can|will|would)\b", re.I)
_Q_YESNO = re.compile(
    r"^\s*(?:is|are|was|were|does|do|did|can|could|should|will|would|has|have|had|may|must|shall|isn't|aren't|"
    r"doesn't|don't|can't|won't)\b", re.I)

# A comparison asked: "X than Y", "compared with", "versus", "which is cheaper/faster", "faster or slower".
# Not a comparison: a bound on an amount ("links that stay usable for more than a week", "fewer than 10 rows") or a
# preference ("I'd rather write it in Python than YAML").
_Q_COMPARE = re.compile(
    rf"(?<!\bother )(?<!\brather )\bthan\b(?!\s+(?:{NUM_WORD}|an? (?:dozen|couple|{TIME_UNIT}))\b)|"
    r"\bcompared? (?:with|to)\b|\bversus\b|\bvs\.?(?=\s)|\brelative to\b|"
    r"\bwhich (?:one )?(?:is|are|would be) (?:\w+er|more \w+|less \w+|better|worse)\b|"
    r"\b(?:\w+er|better|worse) or (?:\w+er|better|worse)\b|"
    # a yes/no question offering two things and a comparative ("is athena or spectrum quicker for big scans?")
    r"^\s*(?:is|are|was|were|would|will)\s+(?:[\w.-]+\s+){1,4}?or\s+(?:[\w.-]+\s+){1,3}?"
    r"(?-i:[a-z]{2,}er|more|less|better|worse)\b", re.I)

# A method of finding a quantity ("how should I figure out how many requests one instance can take?", "how do I
# estimate how much storage I need?") asks how to, not for the number itself.
_HOW_CAN = r"\bhow (?:do|does|can|could|should|would|to)\s+(?:(?:i|we|you|one)\s+)?"   # "how do I", "how can one"
_Q_METHOD = re.compile(
    rf"{_HOW_CAN}(?:best\s+|go about\s+)?(?:figure out|"
    r"estimate|determine|calculate|compute|measure|find out|work out|size|plan|choose|pick|decide|tell|check|test|"
    r"benchmark)\b|"
    # ... and so does a way of getting one shown ("how do I count how many rows belong to each category?")
    rf"{_HOW_CAN}(?:count|find|see|list|show|display|get|print)\s+how (?:many|much)\b|"
    # ... and so does the same asked as a command ("Count how many records fall in each category, with pandas?")
    r"(?:^\s*|[:;]\s*)(?:count|tally|list|show|display|print)\s+how (?:many|much)\b", re.I)
# "Why ...?" asks for a reason, whatever amounts or comparisons its clause mentions ("why do glue jobs start up faster
# than I'd expect?"): no fact of a kind answers it.
_Q_WHY = re.compile(r"(?:^\s*|[,:;]\s*)why\b", re.I)
# A question opening on "which/what <kind of thing>" asks for that thing's name, whatever its clauses mention
# ("Which pandas call shows the number of rows?", "what field tells me how long ...").
_Q_NAMED_THING = re.compile(
    r"(?:^\s*|[:;,]\s*)(?:which|what)\s+(?:(?!(?:is|are|was|were|does|do|did|can|could|should|would|will|a|an|the)\b)"
    rf"[\w-]+\s+){{0,2}}?(?:{_THINGS}|call|dataset|environment variable|variable|setting|parameter|option|flag|field|"
    r"header|key|feature|step|resource|template|object|policy|role)s?\b", re.I)
# Asking whether or how an amount can be SET ("how do I set how long that stays valid?", "can I set how often
# checkpoints get written?") asks about the setting, not for the amount.
_Q_SET_AMOUNT = re.compile(
    r"\b(?:set|change|configure|control|adjust|choose|pick|specify|tune|increase|decrease|extend|shorten|raise|"
    r"lower)\s+how (?:long|often|many|much|big|large|quickly|fast|soon)\b", re.I)
# "Is there a <thing> that ...?" asks whether such a thing exists (and its name), whatever its clause says the thing
# does ("Is there a call that tells me how many tokens a request will use?"); "is there a limit/fee ..." asks for the
# amount (the number and price detectors).
_Q_EXISTS = re.compile(
    r"^\s*(?:is|are) there (?:an?|any|some|one) (?:(?!(?:limit|limits|quota|quotas|maximum|max|minimum|min|cap|"
    r"ceiling|fee|fees|charge|charges|cost|costs|price|prices)\b)[\w.-]+\s+){1,6}?(?:that|which|to|for|i|we|you)\b",
    re.I)
# "X versus Y" with nothing to compare them by (no comparative, no "which one wins") asks what each is, as "the
# difference between X and Y" does: "What is Glue's catalog versus a Hive metastore?", "what is managed by AWS vs what
# registers to it?". "Is X faster than Y", "X vs Y, which one wins on accuracy?" still compare.
_Q_VERSUS = re.compile(r"\bversus\b|\bvs\.?(?=\s)", re.I)
# An -er/-est word is a comparative only in lower case: a capitalised one inside the question is a name ("Cluster
# Autoscaler", "Docker").
_COMPARATIVE = re.compile(r"\b(?:(?-i:[a-z]{2,}(?:er|est))|more|less|fewer|better|worse|best|worst|most|least|"
                          r"wins?|won|beats?|prefer\w*|recommend\w*|should|choose|pick|than)\b", re.I)


def _contrast(question: str) -> bool:
    """Does `question` set two things side by side ("X vs Y") without asking which is more of something?"""
    return bool(_Q_VERSUS.search(question)) and not _COMPARATIVE.search(_Q_VERSUS.sub(" ", question)) \
        and not _Q_COMPARE.search(_Q_VERSUS.sub(" ", question))


_DETECTORS = (("other", _Q_WHY), ("number", _Q_TEXT_LENGTH), ("howto", _Q_METHOD), ("howto", _Q_SET_AMOUNT),
              ("name", _Q_NAMED_THING), ("name", _Q_EXISTS),
              ("duration", _Q_HOW_LONG), ("number", _Q_COMPARE_AMOUNT), ("price", _Q_PRICE),
              ("duration", _Q_DURATION), ("date", _Q_DATE), ("version", _Q_VERSION), ("number", _Q_NUMBER),
              ("howto", _Q_HOWTO), ("definition", _Q_DEFINITION), ("comparison", _Q_COMPARE), ("name", _Q_NAME),
              ("yesno", _Q_YESNO))


# A value asked for by what it is ("what value does it use", "what temperature gets applied", "default shard count?").
_Q_VALUE = re.compile(r"\bwhat (?:\w+ )?(?:values?|numbers?|amount|setting)\b|"
                      r"\bwhat [\w-]+ (?:gets?|is|are) (?:applied|used|assumed|chosen|picked|set)\b|"
                      r"\b(?:count|number|amount|value|size)\s*\?", re.I)


# The kinds an asked fact noun can turn a "what is X?" reading into, unless X is one word ("what is throughput?": the
# word is defined).
_AMOUNTS = frozenset({"price", "number", "duration", "date", "version"})
_ONE_WORD = re.compile(r"\s*(?:what|who)(?:'s| is| are| was| were| does)\s+(?:an?\s+|the\s+)?[\w.+#-]+\s*\??\s*$", re.I)


def detect(question: str) -> str:
    """The kind of answer `question` asks for (one of `KINDS`). A question no pattern decides that asks for the
    value a setting takes when it is left out ("what temperature gets applied when my request leaves it out?")
    asks for that value: a number; else the fact noun it asks about (`asked_noun`) names the kind, which also
    overrides a "what is/does X ...?" read as a definition when X asks for an amount by its noun."""
    q = asked(question)
    for kind, pattern in _DETECTORS:
        if pattern.search(q):
            if kind in ("definition", "name") and not _ONE_WORD.match(q):
                # "what does the paperback sell for?", "what's the dollar rental per month?" read as "what is X?";
                # "what learning rate does the optimiser start with?" read as "what <thing> does ...?"
                fact = asked_noun(q, strict=kind == "name")
                return fact if fact in _AMOUNTS else kind
            return "definition" if kind == "comparison" and _contrast(q) else kind
    if _Q_VALUE.search(q) and QUALIFIERS["default"][0].search(q):
        return "number"
    return asked_noun(q) or "other"


# Words that only say what kind of fact is asked: a passage stating the fact rarely repeats them.
_ASKING = ("cost costs price pricing priced fee fees charge charged billed pay much many long time timeout duration "
           "version versions release released year date day month when limit limits maximum minimum max min number "
           "amount size first earliest latest which what how called name named mean means default largest biggest "
           "smallest highest lowest fewest ceiling cap quota quotas longest shortest fastest slowest quickly often "
           "soon anyway compare compared comparison versus vs dollar dollars usd")
# (negated auxiliaries and indefinite pronouns are stopwords of the shared tokenizer)


@lru_cache(maxsize=1)
def _asking_terms() -> frozenset[str]:
    return frozenset(tokenize(_ASKING))


def key_terms(question: str) -> list[str]:
    """The question's content tokens (shared tokenizer) without the words that only name the kind of fact."""
    asking = _asking_terms()
    terms = [t for t in dict.fromkeys(tokenize(question)) if t not in asking]
    return terms or list(dict.fromkeys(tokenize(question)))


# ---------------------------------------------------------------- what else a question asks of the fact
# (the qualifiers, each met by a fact pattern of its own) and what a number question counts
# A month's name, as a date (a passage's) or a first release (the origin qualifier's) writes it.
MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?|"
         r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")

# A sentence that compares: "than", "compared with", "10x", "40%", "faster", "saves".
COMPARES = re.compile(
    r"\bthan\b|\bcompared? (?:with|to)\b|\bversus\b|\bvs\.?(?=\s)|\brelative to\b|"
    r"\b\d+(?:\.\d+)?\s?(?:x|times)\b|\d\s?%|\b(?:faster|slower|cheaper|saves?|savings?)\b", re.I)

# Qualifiers: what a question asks of the fact besides its kind. "What's the default timeout?" wants the value a
# setting takes when nobody sets it, so the sentence stating the fact must say it is the default; "how much faster
# is X on GPUs than on CPUs?" wants a comparison the sentence must make. Each is (question pattern, fact pattern).
QUALIFIERS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "default": (
        # (a default named as what another value is compared with, "longer than the default", is not asked of it)
        re.compile(r"(?<!than the )(?<!than its )\bdefaults?\b|\bout of the box\b|"
                   r"\b(?:if|when)\b[^?;]*\b(?:leaves?|left|leaving) (?:\S+ )?out\b|"
                   r"\b(?:if|when)\b[^?;]*\b(?:omits?|omitted|skips?|skipped)\b|"
                   r"\bwith (?:no|nothing|none) (?:\S+ )?(?:set|specified|configured|given|passed)\b|"
                   r"\bif (?:i|we|you) (?:don't|do not|never) "
                   r"(?:set|specify|configure|change|pass|give|choose|pick)\b|"
                   r"\bif (?:i|we|you) (?:leave|omit) \S+ out\b|"
                   r"\bif (?:i|we|you) (?:omit|skip)\b", re.I),
        re.compile(r"\bdefault(?:s|ed)?\b|\bunless (?:you|otherwise|specified)\b|\bif (?:you )?(?:don't|do not|omit|"
                   r"not) (?:specif|set|provid|pass|configur)\w*|\bnot specified\b|\bomitted\b|\bautomatically\b",
                   re.I)),
    "limit": (
        re.compile(r"\b(?:maximum|max|minimum|min|limits?|largest|smallest|biggest|highest|lowest|at most|at least|"
                   r"up to|cap|quotas?|ceiling|(?:upper|lower) bounds?)\b", re.I),
        re.compile(r"\b(?:maximum|max|minimum|min|minimal(?:ly)?|maximal(?:ly)?|requires?|required|limit(?:s|ed)?|"
                   r"largest|smallest|highest|lowest|at most|at least|up to|no more than|not exceed|cannot exceed|"
                   r"exceeds?|quotas?|between \S+ and|ranges? from|from \S+ to \d|within|"
                   # the values a setting allows, listed ("Valid values: 1024 MB, ...", "any of the following: ...")
                   r"(?:valid|allowed|possible|permitted|accepted|supported) (?:values?|range|sizes?)|"
                   r"(?:any|one) of the following|"
                   r"(?:no|not(?: be)?) (?:greater|more|larger|longer|higher|bigger|less|fewer|smaller|shorter|lower) "
                   r"than|"
                   r"or (?:earlier|later|older|newer|lower|higher|less|more|fewer|below|above|smaller|larger))\b",
                   re.I)),
    "origin": (  # the release or date that first brought something
        re.compile(r"\bfirst (?:\w+ )?(?:released|shipped|introduced|added|launched|appeared|available|supported|"
                   r"offered|came|offer|ship|support|add|introduce|include|bring)\b|"
                   r"\b(?:introduced|introduce|added|shipped|launched|debuted|since when)\b", re.I),
        re.compile(r"\b(?:introduced|added|new|available|supported|shipped|released|launched|starting|beginning|since|"
                   r"as of|first)\b(?:\s+(?:in|with|from|since|on))?\s+(?-i:[A-Z][\w.+-]*\s+)?(?:version\s+|release\s+|"
                   r"v)?(?:\d|" + MONTH + r")", re.I)),
    "end": (  # the release or date that ends something
        re.compile(r"\b(?:stops?|stopped|retired?|deprecated?|sunset|discontinued?|shut(?:s|ting)? ?down|"
                   r"end[- ]of[- ](?:life|support)|eol|removed?|no longer)\b", re.I),
        re.compile(r"\b(?:deprecat\w*|end[- ]of[- ]\w+|eol|retir\w*|discontinu\w*|sunset\w*|no longer|removed|shut\w*|"
                   r"stops?|ends?|until|through)\b", re.I)),
    "compare": (_Q_COMPARE, COMPARES),
}

# What a "how many ..." question counts: the noun phrase after "how many" / "(maximum) number of" / "the most", up to
# the first word that ends it (a verb, preposition or pronoun); its last word is the counted noun ("how many named
# shadows can ..." -> "shadows"). "How much <measure>" counts a measure with units of its own (memory in bytes).
_Q_COUNTED = re.compile(
    r"\bhow many ((?:[a-z][\w-]*\s+){0,3}?[a-z][\w-]*)(?=\s+(?:can|could|does|do|did|is|are|was|were|will|would|should|"
    r"may|might|must|has|have|i|we|you|it|they|per|in|on|at|for|to|of|from|with|by|fit|run|does|get)\b|\s*[?,.]|$)|"
    r"\b(?:number|count) of ((?:[a-z][\w-]*\s+){0,2}?[a-z][\w-]*)(?=\s+(?:a|an|the|that|which|per|in|on|at|for|to|"
    r"i|we|you|it|can|could|does|do|is|are|will|would)\b|\s*[?,.]|$)|"
    r"\bthe (?:most|fewest|max(?:imum)?|min(?:imum)?) ([a-z][\w-]*)(?=\s+(?:i|we|you|it|that|which|can|could|a|an|"
    r"per|in|on|for|to)\b)", re.I)
# "How much RAM / storage / payload" asks for an amount in bytes.
_Q_MEASURE = re.compile(
    r"\bhow (?:much|big|large) (?:\w+ )?(?:memory|ram|storage|disk|space|data|volume|payload|size)\b", re.I)
_BYTES = re.compile(r"\d[\d,.]*\s?(?:[kmgtpe]i?b|bytes?|kilobytes?|megabytes?|gigabytes?|terabytes?)\b", re.I)
# "By what percentage ...", "how many percent ...": a share, written with "%" or "percent".
_Q_PERCENT = re.compile(r"\b(?:what|which|how many|how much of a) (?:percentage|percent)\b", re.I)
_PERCENT = re.compile(r"\d\s?%|\bpercent\b|\b(?:half|a third|a quarter)\b", re.I)

# British "-ise/-isation" spellings written the American way, so "organisations" meets "organizations" (the stemmer
# keeps the two apart); applied to question and passage alike.
_BRITISH = re.compile(r"(?<=[a-z]{3})is(?=(?:e|es|ed|ing|ation|ations|er|ers)\b)")


def american(text: str) -> str:
    """`text` with British -ise/-isation spellings written -ize/-ization."""
    return _BRITISH.sub("iz", text)


def counted(question: str) -> str | re.Pattern[str] | None:
    """What a number question counts: the counted noun's stem ("how many named shadows" -> "shadow"), a pattern for
    the units of a measure ("how much RAM" -> bytes), or None when it asks for no particular count."""
    if _Q_MEASURE.search(question):
        return _BYTES
    if _Q_PERCENT.search(question):
        return _PERCENT
    m = _Q_COUNTED.search(question)
    if not m:
        return None
    phrase = next(g for g in m.groups() if g)
    # the phrase ends at the first word that ends a noun phrase ("how many samples before model monitor reports
    # ...": samples)
    head = list(itertools.takewhile(lambda w: w.lower() not in ENDS_PHRASE, phrase.split())) or phrase.split()
    word = head[-1].lower()
    if word in ("times", "time") or (m.group(3) and not word.endswith("s")):
        return None  # "how many times": any count answers; "the minimum compute": a mass noun, not a count
    stems = tokenize(american(word))
    return stems[0] if stems else None


# A name the question gives: a capitalised word inside the sentence ("with Trivy", "to PagerDuty"), a camel-case
# identifier ("RawDeployment") or an acronym ("CVEs", "T4"); a sentence's first word is not a name by its capital.
_NAME = re.compile(r"(?<=[a-z0-9,;:'’()\"] )([A-Z][A-Za-z0-9&+.]*(?:-[A-Z][A-Za-z0-9]*)*)|\b([a-z]+[A-Z][A-Za-z]*)\b|"
                   r"\b([A-Z]{2,}[a-z]?s?|[A-Z]+\d+[A-Za-z0-9]*)\b")


# The kinds of answer only documentation states (never the roadmap's plan): a question of one of these kinds about a
# name that only the roadmap's own text mentions is about something no linked page covers.
DOCUMENTED_KINDS = frozenset({"howto", "price", "number", "duration", "date", "version"})


def unknown_names(question: str, known: Callable[[str], bool]) -> list[str]:
    """The names in `question` that the index never mentions (`known` says whether a stemmed token is in any
    passage): whatever the sources say, they say nothing about these."""
    names = dict.fromkeys(next(g for g in m.groups() if g) for m in _NAME.finditer(question))
    return [n for n in names if any(not known(t) for t in tokenize(n))]


# "Is there a longer/cheaper one than X?" asks whether a larger or smaller value exists: the value answers it, with
# or without a sentence that compares.
_Q_EXISTS_BEYOND = re.compile(r"\b(?:is|are) there (?:an?|any|some)\s+(?:[\w-]+\s+){0,3}?(?:\w+er|more \w+|less \w+)"
                              r"\s+(?:[\w-]+\s+){0,3}?than\b", re.I)


def qualifiers(question: str) -> tuple[str, ...]:
    """What `question` asks of the fact besides its kind (the names of `QUALIFIERS` it matches)."""
    q = asked(question)
    beyond = bool(_Q_EXISTS_BEYOND.search(q))
    return tuple(name for name, (asked, _fact) in QUALIFIERS.items()
                 if asked.search(q) and not (name == "compare" and beyond))


# The qualifiers that name a point in time (the release or date that first brought or ended something) are asked of
# a date or a version only: "how long can a session run before it stops?" asks for a duration, not an end date.
_POINT_QUALIFIERS = ("origin", "end")


def asked_of(kind: str, question: str) -> tuple[str, ...]:
    """The qualifiers `question` asks of a fact of `kind` (`qualifiers`, without a point in time asked of an amount)."""
    return tuple(a for a in qualifiers(question) if kind in ("date", "version") or a not in _POINT_QUALIFIERS)


# A name asked by who or what made, started or first had something ("which company originally built X?", "who started
# the X project?", "which region got X first?"): a stretch holding it names something next to a making or first
# having ("developed by", "originally", "created at", "launched in").
_CREATOR_ASKED = re.compile(
    r"\bwho(?:'s|\s+is|\s+was)?\s+(?:\w+\s+)?(?:created|made|built|wrote|started|founded|invented|designed|developed|"
    r"authored|backs|backed|sponsors|sponsored)\b|\b(?:originally|initially)\b|"
    r"\bfirst\s+(?:created|built|developed|made|launched|released|started|founded|designed|wrote|written)\b|"
    r"\b(?:got|received)\s+(?:[\w.-]+\s+){1,3}?first\b|"
    r"\b(?:compan(?:y|ies)|organi[sz]ations?|vendors?|backers?|creators?|founders?|authors?|inventors?)\b[^?]*\b"
    r"(?:behind|created|built|made|started|founded|wrote|developed|backs|sponsors)\b|"
    r"\b(?:creators?|founders?|inventors?|corporate backers?)\s+of\b", re.I)


def checked_as(question: str, kind: str) -> str:
    """The group a question of answer kind `kind` is evidence-checked in: "origin" for a name asked by its maker or
    first holder (`_CREATOR_ASKED`: its evidence is a stretch naming something next to a making or first having,
    a rarer thing for a page to state than a name), else its kind."""
    return "origin" if kind == "name" and _CREATOR_ASKED.search(asked(question)) else kind


# "How <adjective/adverb>" names the dimension asked ("how fast", "how large", "how far"), never the subject.
_HOW_DIMENSION = re.compile(r"\bhow ([a-z]+)\b", re.I)


def fact_terms(question: str) -> list[str]:
    """The key terms a sentence stating the asked fact should hold: `key_terms` (British spellings written the
    American way) without the dimension a "how <adjective>" asks ("fast" of "how fast can it scale?"), which says
    what is asked, not what about."""
    q = asked(question)
    asking = [m.group(1) for m in _HOW_DIMENSION.finditer(q)]
    drop = set(tokenize(" ".join(asking)))
    terms = key_terms(american(question))
    return [t for t in terms if t not in drop] or terms
