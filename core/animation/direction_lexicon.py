# SPDX-License-Identifier: GPL-3.0-or-later
"""The vocabulary of text direction (:mod:`.text_direction`) as data: emotion words, idioms, intensity and tempo
adverbs, negations, sequence words, filler, and a few German, French and Spanish words. No code lives here.

Sources, and why the table is curated by hand
---------------------------------------------
No lexical resource on PyPI gives emotion categories offline under a licence that allows shipping it (checked
December 2026): NLTK's and ``wn``'s WordNet download their data at run time; ``oewn-core`` is tooling without the
data; the NRC Emotion Lexicon (``nrclex``, ``lexmo``, ``text2emotion``) is for research use only; ``empath``'s
categories have no stated licence and mix emotions (its "sadness" lists "happiness", its "fear" "anticipation").
So the words are chosen by hand from:

* the names of Plutchik's wheel (:mod:`facemotion.core.emotion.wheel`, Plutchik 1980/2001) and of the EMFACS
  presets (:mod:`facemotion.core.emotion.presets`): every word maps to one of those names;
* WordNet 3.0's adjective similarity sets (Princeton University, WordNet licence; read with Debian's ``wordnet``
  package, e.g. ``wn angry -synsa``) for the synonyms of each name, kept where the word names a face one would
  pose (e.g. angry -> enraged, furious, livid, irate, mad, incensed);
* VADER's degree adverbs (``BOOSTER_DICT``, boosters and dampeners) and negations (``NEGATE``) (C. J. Hutto and
  E. Gilbert, "VADER: A Parsimonious Rule-based Model for Sentiment Analysis of Social Media Text", ICWSM 2014;
  the ``vaderSentiment`` package, MIT licence) for :data:`INTENSITY_WORDS` and :data:`NEGATIONS`; the intensity
  values are ours (softeners 0.25-0.7 of the preset, boosters 1.0);
* common English idioms of facial expression (bursts into tears, loses her temper, lights up, goes pale, bites
  his lip...) from the usual idiom dictionaries, each mapped to the face it describes (our reading);
* the German, French and Spanish words are the dictionary translations of the six basic emotions and a few
  function words (then, and, very, a bit, not), enough to parse a short sentence in those languages.

Tokens with an underscore (``a_bit``, ``no_longer``) are what an idiom turns a phrase into before parsing.
"""

#: Emotion name (a wheel or preset name, see ``facemotion emotions``) -> the words that pose it. The name itself is
#: always accepted too (every name of :func:`facemotion.core.emotion.wheel.all_names`).
EMOTION_WORDS = {
    "neutral": ("calm", "calmly", "relaxed", "blank", "numb", "emotionless", "relaxes", "relax", "relaxing",
                "unimpressed", "expressionless", "composed", "resting", "neutral", "unmoved",
                "impassive", "deadpan", "stoic", "straight_face", "tranquil", "unruffled", "collected", "rest"),
    "serenity": ("content", "contented", "peaceful", "placid", "serene", "relieved", "relief", "pleasant",
                 "satisfied", "soft_smile", "peace", "at_peace"),
    "joy": ("happy", "happily", "happiness", "cheerful", "cheerfully", "joyful", "joyfully", "joy", "glad", "pleased",
            "smiling", "smile", "smiles", "smiled", "jolly", "merry", "grin", "grins", "grinning", "grinned", "beam",
            "beams", "beaming", "beamed", "bright", "sunny", "chuckle", "chuckles", "chuckling", "amused",
            "amusement", "giggle", "giggles", "giggling", "glee", "gleeful", "upbeat", "lights_up"),
    "ecstasy": ("laughter", "laugh", "laughs", "laughing", "laughed", "elated", "euphoric", "thrilled",
                "overjoyed", "ecstatic", "jubilant", "blissful", "bliss", "exhilarated", "radiant", "over_the_moon"),
    "acceptance": ("accepting", "accepts", "resigned", "agreeable"),
    "trust": ("trusting", "confident", "reassured", "warm", "warmly", "friendly", "kind", "kindly"),
    "admiration": ("admiring", "admires", "adoring", "adores", "impressed", "worshipful", "starstruck"),
    "apprehension": ("nervous", "nervously", "worried", "worry", "worries", "uneasy", "wary", "tense", "apprehensive",
                     "hesitant", "jittery", "on_edge", "bites_lip", "uncomfortable", "concerned", "timid", "shy"),
    "fear": ("scared", "afraid", "frightened", "fearful", "fear", "alarmed", "spooked", "fright", "trembling",
             "trembles", "shaking", "shaky", "goes_pale", "creeped_out", "flinch", "flinches", "flinching", "cowers",
             "cowering"),
    "terror": ("terrified", "horrified", "panicked", "petrified", "panicking", "panic", "panics", "panicky",
               "terror", "horror", "aghast", "freaks_out", "scared_stiff", "screams", "screaming", "scream",
               "shrieks"),
    "distraction": ("distracted", "puzzled", "absent", "absentminded", "dreamy", "confused", "bewildered",
                    "perplexed", "baffled"),
    "surprise": ("surprised", "startled", "shocked", "surprise", "shock", "gasp", "gasps", "gasping", "gasped",
                 "eyes_widen", "raises_brows", "wow"),
    "amazement": ("amazed", "astonished", "astounded", "stunned", "dumbfounded", "flabbergasted", "speechless",
                  "thunderstruck", "gobsmacked", "jaw_drops", "awestruck", "amazing"),
    "pensiveness": ("pensive", "gloomy", "melancholy", "melancholic", "wistful", "glum", "sigh", "sighs", "sighing",
                    "sighed", "thoughtful", "pouting", "pout", "pouts", "sulky", "sulking", "sulks", "moody"),
    "sadness": ("sad", "sadly", "unhappy", "sorrowful", "downcast", "blue", "sorrow", "sadness", "dejected",
                "depressed", "miserable", "downhearted", "heavyhearted", "mournful", "doleful", "forlorn",
                "disappointed", "disappointment", "hurt", "lonely", "tears_up", "teary", "tears", "upset",
                "heart_sinks", "chokes_up", "close_to_tears"),
    "grief": ("grieving", "heartbroken", "devastated", "crying", "cry", "cries", "cried", "sobbing", "sob", "sobs",
              "sobbed", "tearful", "weeping", "weep", "weeps", "wept", "anguish", "anguished", "distraught",
              "inconsolable", "bawling", "wailing", "in_tears"),
    "boredom": ("bored", "weary", "uninterested", "boring", "yawn", "yawns", "yawning", "indifferent", "apathetic",
                "listless", "tired", "jaded"),
    "disgust": ("disgusted", "repulsed", "grossed", "grossed_out", "gross", "yuck", "nauseated", "queasy", "grimace",
                "grimaces", "grimacing", "cringe", "cringes", "cringing", "icky", "distaste", "wrinkles_nose"),
    "loathing": ("revolted", "loathing", "sickened", "abhorrent", "hateful", "hatred", "hate", "hates"),
    "annoyance": ("annoyed", "irritated", "irked", "grumpy", "bothered", "peeved", "miffed", "vexed", "frustrated",
                  "frustration", "impatient", "cranky", "frown", "frowns", "frowning", "frowned", "exasperated",
                  "fed_up", "grouchy", "displeased", "rolls_eyes", "huffy"),
    "anger": ("angry", "angrily", "mad", "cross", "hostile", "anger", "irate", "incensed", "scowl", "scowls",
              "scowling", "glare", "glares", "glaring", "glared", "shouts", "shouting", "yells", "yelling", "snarls",
              "snarling", "seething", "seethes", "bristles", "sore", "wrathful"),
    "rage": ("furious", "furiously", "enraged", "livid", "raging", "fuming", "fumes", "rage", "fury", "infuriated",
             "loses_temper", "sees_red", "blows_up", "hits_roof", "goes_ballistic",
             "berserk"),
    "interest": ("interested", "attentive", "intrigued", "engaged", "fascinated", "focused", "listening"),
    "anticipation": ("expectant", "eager", "anticipating", "excited", "excitement", "impatiently", "keen"),
    "vigilance": ("vigilant", "alert", "watchful", "suspicious", "suspiciously", "suspicion", "guarded", "narrows_eyes",
                  "squints"),
    "love": ("loving", "affectionate", "tender", "tenderly", "adoration", "in_love", "smitten", "lovingly"),
    "submission": ("submissive", "meek", "obedient", "sheepish", "sheepishly", "docile"),
    "awe": ("awed", "awe", "reverent", "spellbound"),
    "disapproval": ("disapproving", "disapproves", "disapprovingly"),
    "remorse": ("remorseful", "regretful", "sorry", "apologetic", "regret", "regrets", "contrite", "repentant"),
    "contempt": ("contemptuous", "smirking", "smirk", "smirks", "smug", "smugly", "condescending", "sneer",
                 "sneers", "sneering", "mocking", "sarcastic"),
    "plutchik_contempt": ("scornful", "scorn", "disdainful", "disdain", "derisive"),
    "aggressiveness": ("aggressive", "belligerent", "menacing", "threatening", "fierce", "combative"),
    "optimism": ("optimistic",),
    "guilt": ("guilty", "guiltily", "culpable"),
    "curiosity": ("curious", "inquisitive", "curiously", "wondering", "wonders", "nosy"),
    "despair": ("despairing", "hopeless", "desperate", "despondent", "defeated", "crushed"),
    "unbelief": ("unbelieving", "incredulous", "disbelieving", "disbelief", "skeptical", "sceptical", "doubtful",
                 "cant_believe"),
    "envy": ("envious", "jealous", "jealousy", "resentful", "bitter"),
    "cynicism": ("cynical",),
    "pride": ("proud", "proudly", "triumphant", "victorious"),
    "hope": ("hopeful", "hopefully", "hopes"),
    "delight": ("delighted", "charmed", "tickled", "tickled_pink"),
    "sentimentality": ("sentimental", "nostalgic", "moved", "touched", "moved_to_tears", "bittersweet"),
    "shame": ("ashamed", "embarrassed", "humiliated", "blushes", "blushing", "blush", "blushed", "mortified",
              "flustered"),
    "outrage": ("outraged", "indignant", "appalled", "scandalized", "scandalised"),
    "pessimism": ("pessimistic",),
    "morbidness": ("morbid", "macabre"),
    "dominance": ("dominant", "domineering", "bossy", "commanding", "authoritative", "stern", "sternly"),
    "anxiety": ("anxious", "anxiously", "anxiety", "stressed", "stressed_out", "restless", "agitated", "fretful",
                "frantic"),
}

#: Idioms and other phrases -> the tokens they stand for, applied before parsing (longest first). A pattern is
#: words separated by spaces; ``a|b`` is a choice; ``{name}`` is one of :data:`PATTERN_CLASSES`. The replacement
#: uses words of this module (``burst`` makes the change sudden, :data:`TEMPO_WORDS`).
IDIOMS = (
    # crying and sadness
    ("burst|bursts|bursting|burst|broke|breaks|breaking|break into|in tears", "burst in_tears"),
    ("break|breaks|breaking|broke down in tears", "burst in_tears"),
    ("break|breaks|breaking|broke down crying|sobbing", "burst in_tears"),
    ("break|breaks|breaking|broke down", "burst in_tears"),
    ("start|starts|starting|started|begin|begins|began to cry|sob|weep", "in_tears"),
    ("start|starts|starting|started|begin|begins|began crying|sobbing|weeping", "in_tears"),
    ("in tears", "in_tears"),
    ("moved to tears", "moved_to_tears"),
    ("bored to tears|death", "very bored"),
    ("tears of joy", "laughter"),
    ("close|near to tears", "close_to_tears"),
    ("on the verge of tears", "close_to_tears"),
    ("tear|tears|tearing|teared up", "tears_up"),
    ("well|wells|welling up", "tears_up"),
    ("choke|chokes|choking|choked up", "chokes_up"),
    ("{poss} heart sinks|sank", "heart_sinks"),
    ("down in the dumps", "sad"),
    ("feel|feels|feeling|felt|look|looks|looking|looked down", "sad"),
    ("let|lets|letting down", "disappointed"),
    # anger
    ("lose|loses|losing|lost {poss} temper|cool", "burst loses_temper"),
    ("lose|loses|losing|lost it", "burst loses_temper"),
    ("fly|flies|flying|flew into a rage", "burst loses_temper"),
    ("blow|blows|blowing|blew up", "burst blows_up"),
    ("blow|blows|blowing|blew {poss} top|stack", "burst blows_up"),
    ("see|sees|seeing|saw red", "sees_red"),
    ("explode|explodes|exploding|exploded", "burst rage"),
    ("hit|hits|hitting the roof|ceiling", "burst hits_roof"),
    ("go|goes|going|went ballistic", "burst goes_ballistic"),
    ("fed up", "fed_up"),
    ("roll|rolls|rolling|rolled {poss} eyes", "rolls_eyes"),
    ("grit|grits|gritting|gritted {poss} teeth", "angry"),
    ("clench|clenches|clenching|clenched {poss} jaw|teeth", "angry"),
    ("boiling mad", "furious"),
    ("beside {self} with rage|anger", "furious"),
    # joy
    ("light|lights|lighting|lit up", "lights_up"),
    ("over the moon", "over_the_moon"),
    ("on cloud nine", "over_the_moon"),
    ("jump|jumps|jumping|jumped for joy", "over_the_moon"),
    ("grin|grins|grinning|grinned from ear to ear", "over_the_moon"),
    ("burst|bursts|bursting|burst into|out laughter|laughing|laughs", "burst laughter"),
    ("crack|cracks|cracking|cracked up", "burst laughter"),
    ("crack|cracks|cracking|cracked a smile", "smile"),
    ("warm|broad|big|wide|bright|polite smile|grin", "smile"),
    ("break|breaks|breaking|broke into a smile|grin", "burst smile"),
    ("cant|cannot stop smiling|grinning", "over_the_moon"),
    ("cant|cannot stop laughing", "laughter"),
    ("tickled pink", "tickled_pink"),
    ("in love", "in_love"),
    ("in a good mood", "happy"),
    ("{poss} smile fades|faded|vanishes|vanished|disappears|disappeared", "no_longer smile"),
    ("in a bad mood", "grumpy"),
    # fear
    ("go|goes|going|went|turn|turns|turning|turned pale|white|ashen", "goes_pale"),
    ("the colour|color drains|drained from {poss} face", "goes_pale"),
    ("blood drains|drained from {poss} face", "goes_pale"),
    ("scared|frightened stiff", "scared_stiff"),
    ("scared|frightened to death", "scared_stiff"),
    ("freak|freaks|freaking|freaked out", "freaks_out"),
    ("creep|creeps|creeped|creeping|crept out", "creeped_out"),
    ("on edge", "on_edge"),
    ("bite|bites|biting|bit {poss} lip|lips|nails", "bites_lip"),
    ("hold|holds|holding|held {poss} breath", "tense"),
    # surprise
    ("{poss} eyes widen|widened", "eyes_widen"),
    ("{poss} eyes go|went wide", "eyes_widen"),
    ("raise|raises|raising|raised {poss} eyebrows|eyebrow|brows|brow", "raises_brows"),
    ("{poss} jaw drops|dropped", "jaw_drops"),
    ("jaw drops|dropped", "jaw_drops"),
    ("cant|cannot believe {poss} eyes|ears", "cant_believe"),
    ("cant|cannot believe it", "cant_believe"),
    ("taken aback", "surprised"),
    # disgust, contempt, suspicion
    ("gross|grossed|grossing out", "grossed_out"),
    ("wrinkle|wrinkles|wrinkling|wrinkled {poss} nose", "wrinkles_nose"),
    ("turn|turns|turning|turned {poss} nose up", "disdainful"),
    ("narrow|narrows|narrowing|narrowed {poss} eyes", "narrows_eyes"),
    ("{poss} eyes narrow|narrowed", "narrows_eyes"),
    ("look|looks|looking|looked down on", "contemptuous"),
    # calm
    ("calm|calms|calming|calmed down", "calm"),
    ("settle|settles|settling|settled down", "calm"),
    ("cool|cools|cooling|cooled down|off", "calm"),
    ("pull|pulls|pulling|pulled {self} together", "calm"),
    ("compose|composes|composing|composed {self}", "calm"),
    ("catch|catches|catching|caught {poss} breath", "calm"),
    ("straight|poker face", "straight_face"),
    ("a sigh of relief", "relieved"),
    ("soft|small|little|faint|slight smile", "soft_smile"),
    ("at peace", "at_peace"),
    # degree, negation and tempo phrases
    ("a little bit", "a_little"),
    ("a little", "a_little"),
    ("a bit", "a_bit"),
    ("a tad|touch", "a_bit"),
    ("kind|sort of", "kind_of"),
    ("more or less", "kind_of"),
    ("no longer", "no_longer"),
    ("no more", "no_longer"),
    ("not any more", "no_longer"),
    ("all of a sudden", "suddenly"),
    ("in a flash", "suddenly"),
    ("out of nowhere", "suddenly"),
    ("at once", "immediately"),
    ("little by little", "gradually"),
    ("bit by bit", "gradually"),
    ("more and more", "gradually"),
    ("a few", "few"),
    ("a couple of", "couple"),
    ("step by step", "gradually"),
    ("over time", "gradually"),
    ("and then", "then"),
    ("after that", "then"),
    ("after a while|moment|bit|second|beat", "then"),
    ("a moment|second|beat later", "then"),
    ("turn|turns|turning|turned into", "then"),
    ("change|changes|changing|changed into|to", "then"),
    ("shift|shifts|shifting|shifted to|into", "then"),
    ("end|ends|ending|ended up", "finally"),
    ("at last", "finally"),
    ("in the end", "finally"),
    ("half a|an second|sec|s", "0.5 s"),
    # German, French and Spanish phrases (single words are in TRANSLATIONS)
    ("ein bisschen|wenig", "a_bit"),
    ("un peu", "a_bit"),
    ("un poco", "a_bit"),
    ("en colère", "angry"),
    ("ne|n plus", "no_longer"),
    ("ya no", "no_longer"),
    ("nicht mehr", "no_longer"),
)

#: Word classes of :data:`IDIOMS` patterns.
PATTERN_CLASSES = {
    "poss": "her|his|my|their|your|our|its|the",
    "self": "herself|himself|myself|themselves|yourself|ourselves|itself",
}

#: Intensity adverbs -> (key intensity, moves a primary one ring inwards). "Sad" alone is the preset at 1.0; a
#: softener lowers it, a strong booster ("extremely angry") reaches the intense ring (anger -> rage).
INTENSITY_WORDS = {
    "barely": (0.25, False), "hardly": (0.25, False), "scarcely": (0.25, False), "faintly": (0.3, False),
    "slightly": (0.3, False), "slight": (0.3, False), "marginally": (0.3, False), "a_little": (0.4, False),
    "a_bit": (0.4, False), "mildly": (0.4, False), "little": (0.4, False), "kind_of": (0.5, False),
    "kinda": (0.5, False), "sorta": (0.5, False), "partly": (0.5, False), "almost": (0.6, False),
    "somewhat": (0.6, False), "fairly": (0.6, False), "moderately": (0.6, False), "rather": (0.7, False),
    "quite": (0.8, False), "pretty": (0.8, False),
    "very": (1.0, False), "really": (1.0, False), "so": (1.0, False), "truly": (1.0, False), "too": (1.0, False),
    "deeply": (1.0, False), "genuinely": (1.0, False), "visibly": (1.0, False), "clearly": (1.0, False),
    "extremely": (1.0, True), "utterly": (1.0, True), "absolutely": (1.0, True), "incredibly": (1.0, True),
    "totally": (1.0, True), "completely": (1.0, True), "intensely": (1.0, True), "terribly": (1.0, True),
    "awfully": (1.0, True), "insanely": (1.0, True), "thoroughly": (1.0, True), "entirely": (1.0, True),
    "enormously": (1.0, True), "tremendously": (1.0, True), "unbelievably": (1.0, True), "super": (1.0, True),
    "wildly": (1.0, True), "hugely": (1.0, True), "overwhelmingly": (1.0, True), "beyond": (1.0, True),
}

#: Tempo word -> (transition seconds, easing). Verbs of change count too ("grow": gradual, "burst": sudden).
TEMPO_WORDS = {
    "suddenly": (0.2, "ease_out"), "abruptly": (0.2, "ease_out"), "instantly": (0.2, "ease_out"),
    "immediately": (0.2, "ease_out"), "burst": (0.2, "ease_out"), "bursts": (0.2, "ease_out"),
    "bursting": (0.2, "ease_out"), "snap": (0.2, "ease_out"), "snaps": (0.2, "ease_out"),
    "flash": (0.2, "ease_out"), "flashes": (0.2, "ease_out"),
    "quickly": (0.5, "ease_out"), "fast": (0.5, "ease_out"), "rapidly": (0.5, "ease_out"),
    "briskly": (0.5, "ease_out"), "soon": (0.5, "ease_out"),
    "slowly": (2.0, "ease_in_out"), "gently": (2.0, "ease_in_out"), "softly": (2.0, "ease_in_out"),
    "steadily": (2.0, "linear"), "grow": (2.0, "ease_in_out"), "grows": (2.0, "ease_in_out"),
    "growing": (2.0, "ease_in_out"), "melt": (2.0, "ease_in_out"), "melts": (2.0, "ease_in_out"),
    "melting": (2.0, "ease_in_out"), "fade": (2.0, "ease_in_out"), "fades": (2.0, "ease_in_out"),
    "fading": (2.0, "ease_in_out"), "drift": (2.0, "ease_in_out"), "drifts": (2.0, "ease_in_out"),
    "drifting": (2.0, "ease_in_out"), "sink": (2.0, "ease_in_out"), "sinks": (2.0, "ease_in_out"),
    "gradually": (3.0, "ease_in_out"), "progressively": (3.0, "ease_in_out"),
}

#: Tempo words that are verbs of change: an adverb in the same clause ("steadily grow") overrides them.
TEMPO_VERBS = frozenset(("burst", "bursts", "bursting", "snap", "snaps", "flash", "flashes", "grow",
                         "grows", "growing", "melt", "melts", "melting", "fade", "fades", "fading", "drift", "drifts",
                         "drifting", "sink", "sinks"))

#: Words (and punctuation) that end a clause: each clause is one emotion key.
SEQUENCE_WORDS = frozenset(("then", "and", "but", "before", "finally", "into", "to", "next", "later", "eventually",
                            "afterwards", "until", "till", "yet", "though", "although", "while", "whereas", "now",
                            ",", ";", ".", "!", "?", ":", "—", "–"))

#: Negations: an emotion they precede (or "no longer"/"anymore" follow) ends, the face goes back to neutral.
NEGATIONS = frozenset(("not", "no", "never", "isnt", "arent", "wasnt", "werent", "dont", "doesnt", "didnt",
                       "cant", "cannot", "wont", "nor", "neither", "without", "no_longer",
                       "stops", "stop", "stopped", "stopping", "quits"))
#: Words that close a negation ("not angry anymore") and mean nothing alone.
NEGATION_ENDINGS = frozenset(("anymore", "longer"))

# Words that carry no direction: pronouns, articles, auxiliaries, verbs of seeming and becoming, prepositions.
_FILLER_TEXT = """
a an the it its is are be being been was were am i me you he she they we them him her his their our my your hers
theirs ours mine yours himself herself themselves myself yourself itself ourselves this that these those there here
who whom which what whose im youre hes shes theyre weve ive thats theres face character expression expressions
person guy girl man woman boy kid actor look looks looking looked seem seems seeming seemed appear appears appearing
appeared feel feels feeling felt start starts starting started begin begins beginning began first firstly at end
ends ending ended become becomes becoming became get gets getting got gotten turn turns turning turned go goes going
went gone come comes coming came stay stays staying stayed remain remains remaining remained hold holds holding held
keep keeps keeping kept show shows showing showed shown up out with from of more than all bit again still much
something someone somebody moment moments pose break breaks change changes changing changed move moves moving has
have had having do does did just as like about because when if since also even act acts acting acted make makes
making made let lets on off by some any way mood state emotion emotions feelings instead back already ever one other
another each every both either okay ok well oh ah um uh hmm only gonna wanna thing things time times scene shot
camera beat after
"""
#: Words that carry no direction (the list above), skipped silently.
FILLER_WORDS = frozenset(_FILLER_TEXT.split())

#: Duration words: "for 2 s" / "during 3 seconds" hold an emotion; "over 4 s" / "in 1 s" / "within 2 s" ramp to it.
DURATION_HOLD = ("for", "during")
DURATION_TRANSITION = ("over", "in", "within")
#: Number words of durations ("for a second", "for two seconds").
NUMBER_WORDS = {"a": 1.0, "an": 1.0, "one": 1.0, "two": 2.0, "three": 3.0, "four": 4.0, "five": 5.0, "six": 6.0,
                "seven": 7.0, "eight": 8.0, "nine": 9.0, "ten": 10.0, "half": 0.5, "few": 3.0, "couple": 2.0}
#: Units of durations -> seconds.
UNITS = {"s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0, "ms": 0.001, "millisecond": 0.001,
         "milliseconds": 0.001, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0}

#: German, French and Spanish words -> the English word of this module they stand for (dictionary translations).
TRANSLATIONS = {
    # German
    "glücklich": "happy", "froh": "happy", "fröhlich": "cheerful", "lächelt": "smiles", "lacht": "laughs",
    "traurig": "sad", "weint": "cries", "wütend": "angry", "zornig": "angry", "verärgert": "annoyed",
    "ängstlich": "afraid", "verängstigt": "scared", "überrascht": "surprised", "erstaunt": "amazed",
    "angeekelt": "disgusted", "ruhig": "calm", "gelangweilt": "bored", "dann": "then", "und": "and",
    "aber": "but", "schließlich": "finally", "sehr": "very", "etwas": "a_bit", "leicht": "slightly",
    "nicht": "not", "kein": "not", "keine": "not", "zuerst": "first", "plötzlich": "suddenly",
    "langsam": "slowly", "sie": "she", "er": "he", "ist": "is", "wird": "becomes", "wirkt": "looks",
    "sieht": "looks", "aus": "out", "erst": "first", "völlig": "utterly", "total": "totally",
    # French
    "heureux": "happy", "heureuse": "happy", "joyeux": "joyful", "joyeuse": "joyful", "sourit": "smiles",
    "rit": "laughs", "triste": "sad", "pleure": "cries", "fâché": "angry", "fâchée": "angry",
    "furieux": "furious", "furieuse": "furious", "effrayé": "scared", "effrayée": "scared", "peur": "fear",
    "surpris": "surprised", "surprise": "surprised", "étonné": "amazed", "étonnée": "amazed",
    "dégoûté": "disgusted", "dégoûtée": "disgusted", "calme": "calm", "puis": "then", "ensuite": "then",
    "et": "and", "mais": "but", "enfin": "finally", "très": "very", "légèrement": "slightly", "pas": "not",
    "soudain": "suddenly", "lentement": "slowly", "elle": "she", "il": "he", "est": "is", "devient": "becomes",
    "semble": "seems", "abord": "first", "complètement": "completely", "colère": "anger",
    # Spanish
    "feliz": "happy", "contento": "happy", "contenta": "happy", "sonríe": "smiles", "ríe": "laughs",
    "llora": "cries", "enojado": "angry", "enojada": "angry", "enfadado": "angry", "enfadada": "angry",
    "furioso": "furious", "furiosa": "furious", "asustado": "scared", "asustada": "scared", "miedo": "fear",
    "sorprendido": "surprised", "sorprendida": "surprised", "asombrado": "amazed", "asombrada": "amazed",
    "asqueado": "disgusted", "asqueada": "disgusted", "tranquilo": "calm", "tranquila": "calm", "luego": "then",
    "después": "then", "y": "and", "pero": "but", "finalmente": "finally", "muy": "very", "ligeramente":
    "slightly", "poco": "a_bit", "de": "of", "repente": "suddenly", "despacio": "slowly", "ella": "she",
    "él": "he", "está": "is", "se": "it", "pone": "becomes", "primero": "first", "totalmente": "totally",
    # French elisions split at the apostrophe ("n'est pas", "l'air", "d'abord")
    "ne": "not", "n": "not", "l": "the", "d": "of", "air": "look",
}
