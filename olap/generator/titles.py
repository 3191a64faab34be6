"""Word lists for generated catalogs: course titles, topics, page and activity title patterns, answers."""

from __future__ import annotations

import re
from typing import NamedTuple


class Course(NamedTuple):
    title: str
    slug: str
    topics: tuple[str, ...]
    # (right answer, wrong answer) pairs used as `result.response` inputs.
    answers: tuple[tuple[str, str], ...]


COURSES = (
    Course(
        "General Chemistry I",
        "chem101",
        ("Measurement and Units", "Atoms and Isotopes", "The Mole", "Stoichiometry", "Solutions and Molarity",
         "Gas Laws", "Enthalpy", "Calorimetry", "Hess's Law", "Electron Configuration", "Periodic Trends",
         "Chemical Bonding", "Lewis Structures", "Molecular Geometry", "Intermolecular Forces"),
        (("exothermic", "endothermic"), ("q = m c ΔT", "q = m ΔT"), ("0.138", "138"), ("6.022e23", "6.022e-23"), ("sp3", "sp2")),
    ),
    Course(
        "Probability and Statistics",
        "stats210",
        ("Exploratory Data Analysis", "Distributions of One Variable", "Relationships Between Variables",
         "Sampling", "Designing Studies", "Probability Rules", "Conditional Probability", "Random Variables",
         "The Binomial Distribution", "The Normal Distribution", "Sampling Distributions", "Confidence Intervals",
         "Hypothesis Testing", "Inference for Means", "Chi-Square Tests"),
        (("0.95", "0.05"), ("reject H0", "accept H0"), ("right-skewed", "left-skewed"), ("median", "mean"), ("1.96", "1.64")),
    ),
    Course(
        "Introduction to Biology",
        "bio110",
        ("The Chemistry of Life", "Cell Structure", "Membranes and Transport", "Cellular Respiration",
         "Photosynthesis", "The Cell Cycle", "Meiosis", "Mendelian Genetics", "DNA Replication",
         "Gene Expression", "Evolution by Natural Selection", "Population Genetics", "Ecology"),
        (("mitochondria", "ribosome"), ("ATP", "ADP"), ("3:1", "1:1"), ("anaphase", "prophase"), ("codon", "anticodon")),
    ),
    Course(
        "Principles of Microeconomics",
        "econ101",
        ("Scarcity and Choice", "Supply and Demand", "Elasticity", "Consumer Choice", "Production and Costs",
         "Perfect Competition", "Monopoly", "Oligopoly and Game Theory", "Externalities", "Public Goods",
         "Labor Markets", "International Trade"),
        (("shortage", "surplus"), ("elastic", "inelastic"), ("MR = MC", "P = ATC"), ("Nash equilibrium", "dominant strategy")),
    ),
    Course(
        "Introduction to Psychology",
        "psych100",
        ("Research Methods", "The Brain and Nervous System", "Sensation and Perception", "Consciousness",
         "Learning", "Memory", "Thinking and Language", "Development", "Personality", "Social Psychology",
         "Psychological Disorders", "Therapy"),
        (("classical conditioning", "operant conditioning"), ("hippocampus", "amygdala"), ("independent variable", "dependent variable")),
    ),
    Course(
        "College Physics: Mechanics",
        "phys121",
        ("Vectors", "Kinematics in One Dimension", "Projectile Motion", "Newton's Laws", "Friction",
         "Circular Motion", "Work and Energy", "Conservation of Energy", "Momentum", "Collisions",
         "Rotational Motion", "Torque", "Oscillations"),
        (("9.8 m/s²", "9.8 m/s"), ("F = m a", "F = m v"), ("conserved", "not conserved"), ("½ m v²", "m v²")),
    ),
    Course(
        "Elementary Spanish I",
        "span101",
        ("Saludos y presentaciones", "La clase", "La familia", "El tiempo libre", "Las vacaciones",
         "La comida", "La ropa", "La rutina diaria", "El pretérito", "El imperfecto", "La salud"),
        (("me llamo", "yo llamo"), ("está", "es"), ("fuimos", "íbamos"), ("comí", "comía")),
    ),
    Course(
        "Logic and Proofs",
        "logic120",
        ("Sentential Logic", "Truth Tables", "Natural Deduction", "Conditional Proof", "Indirect Proof",
         "Quantifiers", "Predicate Logic Proofs", "Identity", "Sets and Relations", "Mathematical Induction"),
        (("modus ponens", "affirming the consequent"), ("valid", "invalid"), ("∀x (P(x) → Q(x))", "∃x (P(x) → Q(x))")),
    ),
)

PAGE_PATTERNS = (
    "{topic}",
    "Introduction to {topic}",
    "{topic}: Worked Examples",
    "{topic}: Key Ideas",
    "Unit {unit}: {topic}",
    "Applying {topic}",
    "{topic} in Practice",
    "Review: {topic}",
)
# "Learn By Doing" and "Did I Get This?" are the names OLI courses give their practice activities.
ACTIVITY_PATTERNS = (
    "Learn By Doing: {topic}",
    "Did I Get This? {topic}",
    "Check Your Understanding: {topic}",
    "Quiz: {topic}",
    "Practice Problems: {topic}",
)
RIGHT_FEEDBACK = ("Correct!", "Correct.", "Right.", "Yes, that's it.", "Well done.")
WRONG_FEEDBACK = (
    "Incorrect. Review the worked example above.",
    "Not quite. Check your units.",
    "Incorrect. Try drawing a diagram first.",
    "Not quite. Reread the definition and try again.",
)
PARTIAL_FEEDBACK = ("Partly correct. One step is missing.", "Close. Check the last step.")
NO_ANSWER_FEEDBACK = "No answer was given."


def slugify(text: str) -> str:
    """Lower-case ASCII words of `text` joined by hyphens, for video file names."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "video"
